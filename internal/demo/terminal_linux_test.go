package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the test types into and reads from
// ptm, the demo runs on pts.
func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	fd := int(ptm.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		ptm.Close()
		t.Skipf("unlock pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		ptm.Close()
		t.Skipf("pseudo-terminal number: %v", err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		ptm.Close()
		t.Skipf("open pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { pts.Close(); ptm.Close() })
	return ptm, pts
}

// screen collects what the demo writes to the terminal and lets the test
// wait until something appears, without sleeping.
type screen struct {
	mu       sync.Mutex
	cond     *sync.Cond
	buf      bytes.Buffer
	eof      bool
	gaveUp   bool // the safety net: something never appeared
	stopTime func() bool
}

// screenSafetyNet bounds how long a test waits for text that never comes,
// so a broken demo fails with the screen instead of hanging.
const screenSafetyNet = 60 * time.Second

func newScreen(t *testing.T, ptm *os.File) *screen {
	sc := &screen{}
	sc.cond = sync.NewCond(&sc.mu)
	sc.stopTime = time.AfterFunc(screenSafetyNet, func() {
		sc.mu.Lock()
		sc.gaveUp = true
		sc.cond.Broadcast()
		sc.mu.Unlock()
	}).Stop
	t.Cleanup(func() { sc.stopTime() })
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := ptm.Read(b)
			sc.mu.Lock()
			sc.buf.Write(b[:n])
			sc.eof = err != nil
			sc.cond.Broadcast()
			sc.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return sc
}

// waitCount waits until s has appeared n times on the screen.
func (sc *screen) waitCount(t *testing.T, s string, n int) {
	t.Helper()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for strings.Count(sc.buf.String(), s) < n {
		if sc.eof || sc.gaveUp {
			t.Fatalf("%q did not appear %d times:\n%s", s, n, sc.buf.String())
		}
		sc.cond.Wait()
	}
}

func (sc *screen) String() string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.buf.String()
}

// TestDemoTerminal runs the demo on a pseudo-terminal as a person would:
// it types a command, recalls it from the history with the up arrow, and
// leaves with Ctrl-D; the terminal is back in its old mode afterwards.
func TestDemoTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole bot")
	}
	t.Parallel()
	ptm, pts := openPTY(t)
	before, err := unix.IoctlGetTermios(int(pts.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	sc := newScreen(t, ptm)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, pts, pts, Options{Log: &bytes.Buffer{}}) }()

	const prompt = "alice@#inc-42-orders-db> "
	sc.waitCount(t, prompt, 1) // the terminal is in raw mode before the first prompt
	typeKeys := func(s string) {
		t.Helper()
		if _, err := ptm.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	typeKeys("/pd whoamx\x7fi\r") // a typo, fixed with backspace
	sc.waitCount(t, "You act in PagerDuty as", 1)
	sc.waitCount(t, prompt, 2)
	typeKeys("\x1b[A\r") // up arrow: the last line again
	sc.waitCount(t, "You act in PagerDuty as", 2)
	sc.waitCount(t, prompt, 3)
	typeKeys("\x04") // Ctrl-D on an empty line leaves
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	out := sc.String()
	t.Logf("screen:\n%s", out)
	if !strings.Contains(out, "\r\n") {
		t.Error("in raw mode, lines must end with \\r\\n")
	}
	assertNoCanary(t, "demo screen", out)

	after, err := unix.IoctlGetTermios(int(pts.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if before.Lflag != after.Lflag || before.Iflag != after.Iflag || before.Oflag != after.Oflag {
		t.Errorf("the terminal was not restored: lflag %#x→%#x iflag %#x→%#x oflag %#x→%#x",
			before.Lflag, after.Lflag, before.Iflag, after.Iflag, before.Oflag, after.Oflag)
	}
}

// TestDemoTerminalCtrlC: Ctrl-C leaves the demo too, and restores the terminal.
func TestDemoTerminalCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole bot")
	}
	t.Parallel()
	ptm, pts := openPTY(t)
	before, err := unix.IoctlGetTermios(int(pts.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	sc := newScreen(t, ptm)
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), pts, pts, Options{Log: &bytes.Buffer{}}) }()
	sc.waitCount(t, "alice@#inc-42-orders-db> ", 1)
	if _, err := ptm.WriteString("/pd hel\x03"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	after, err := unix.IoctlGetTermios(int(pts.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if before.Lflag != after.Lflag {
		t.Errorf("the terminal was not restored: lflag %#x→%#x", before.Lflag, after.Lflag)
	}
}
