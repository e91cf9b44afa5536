package demo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// A console is where the session reads its input lines and writes what the
// user sees.
type console interface {
	io.Writer
	// readLine shows prompt and returns the next line, or an error at end
	// of input (io.EOF, also for Ctrl-C and Ctrl-D on a terminal) or when
	// ctx ends; then it ends the prompt's line, so what follows the demo
	// starts on a line of its own.
	readLine(ctx context.Context, prompt string) (string, error)
}

// openConsole returns a line-editing console with history when in and out
// are both a terminal, else a plain line reader. restore puts the terminal
// back as it was; call it before returning, however the session ends.
func openConsole(ctx context.Context, in io.Reader, out io.Writer) (c console, restore func()) {
	inFile, inTTY := terminal(in)
	outFile, outTTY := terminal(out)
	if inTTY && outTTY {
		fd := int(inFile.Fd())
		if old, err := term.MakeRaw(fd); err == nil {
			rw := struct {
				io.Reader
				io.Writer
			}{inFile, outFile}
			return &termConsole{t: term.NewTerminal(rw, ""), out: outFile}, func() { _ = term.Restore(fd, old) }
		}
	}
	// A person typing into a terminal sees what they type; piped input is
	// echoed after its prompt instead.
	return newPipeConsole(ctx, in, out, !inTTY), func() {}
}

// terminal reports whether f is an *os.File that is a terminal.
func terminal(f any) (*os.File, bool) {
	file, ok := f.(*os.File)
	return file, ok && term.IsTerminal(int(file.Fd()))
}

// termConsole edits lines with golang.org/x/term: cursor keys, history
// (up and down), Ctrl-C and Ctrl-D to leave. The terminal is in raw mode,
// so all output goes through the Terminal, which ends lines with \r\n.
type termConsole struct {
	t   *term.Terminal
	out io.Writer // the terminal itself, past the Terminal's prompt handling
}

func (c *termConsole) Write(p []byte) (int, error) { return c.t.Write(p) }

type lineOrErr struct {
	line string
	err  error
}

func (c *termConsole) readLine(ctx context.Context, prompt string) (string, error) {
	c.t.SetPrompt(prompt)
	got := make(chan lineOrErr, 1)
	go func() {
		line, err := c.t.ReadLine()
		if errors.Is(err, term.ErrPasteIndicator) { // a pasted line is still a line
			err = nil
		}
		got <- lineOrErr{line, err}
	}()
	var r lineOrErr
	select {
	case <-ctx.Done():
		r.err = ctx.Err()
	case r = <-got:
	}
	if r.err != nil {
		// Written past the Terminal, which would otherwise draw the
		// prompt again under it.
		_, _ = io.WriteString(c.out, "\r\n")
	}
	return r.line, r.err
}

// pipeConsole reads lines as they come, for piped input (tests, CI, scripts).
type pipeConsole struct {
	out   io.Writer
	lines <-chan string
	echo  bool
}

func newPipeConsole(ctx context.Context, in io.Reader, out io.Writer, echo bool) *pipeConsole {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return &pipeConsole{out: out, lines: lines, echo: echo}
}

func (c *pipeConsole) Write(p []byte) (int, error) { return c.out.Write(p) }

func (c *pipeConsole) readLine(ctx context.Context, prompt string) (string, error) {
	fmt.Fprint(c.out, prompt)
	select {
	case <-ctx.Done():
		fmt.Fprintln(c.out)
		return "", ctx.Err()
	case line, ok := <-c.lines:
		if !ok {
			fmt.Fprintln(c.out)
			return "", io.EOF
		}
		if c.echo {
			fmt.Fprintln(c.out, hideSecrets(line)) // a pasted key is not repeated
		}
		return line, nil
	}
}
