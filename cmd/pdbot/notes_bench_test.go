package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
)

// BenchmarkNotesProcess is bot's BenchmarkNotes with each client in a
// process of its own, so that a client's CPU is its own and nothing else's:
// the fakes (slackfake, pdfake) and the driver stay in the benchmark
// process, the floor (a bare loop of go-pagerduty CreateIncidentNote calls,
// as floorNotes) runs in a child re-exec of the test binary
// (TestHelperFloorNotes), barebot (the least any Slack bot must do for
// `/pd note`, with the libraries pdbot uses) runs in another such child
// (TestHelperBareBot), and pdbot is the release binary running `pdbot
// serve`. Each op is one note, 50 in flight; barebot's and pdbot's note is
// a `/pd note` slash command from the envelope sent to its answer on the
// response_url, both driven alike (notesViaSlack).
//
// Per sub-benchmark it reports notes/s (and ns/op) over the measured phase,
// cpu-us/note of the client process only (the floor's from its own
// getrusage around the loop; barebot's and pdbot's from /proc/<pid>/stat
// before and after the phase), and fakes-cpu-us/note: the benchmark
// process's own CPU over the phase (the fakes and the driver), so a reader
// sees where CPU goes. Linux only (it reads /proc).
func BenchmarkNotesProcess(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads a process's CPU time from /proc: Linux only")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skipf("no /proc here: %v", err)
	}
	bin := buildRelease(b)
	for _, lat := range []time.Duration{0, 200 * time.Millisecond} {
		name := "pd=" + lat.String()
		b.Run("floor/"+name, func(b *testing.B) { floorNotesProcess(b, lat) })
		b.Run("barebot/"+name, func(b *testing.B) { bareBotNotesProcess(b, lat) })
		b.Run("pdbot/"+name, func(b *testing.B) { pdbotNotesProcess(b, bin, lat) })
	}
}

const (
	// notesInFlight is how many notes each client has under way at once.
	notesInFlight = 50
	// notesIncidents spreads the notes over incidents: PagerDuty takes at
	// most 2,000 notes an incident.
	notesIncidents = 20
	// notesWarmUps are the `/pd note` commands a bot answers before the
	// measured phase, so pdbot knows the requester's PagerDuty user (and
	// both have connections open).
	notesWarmUps = 3
	// notesSafetyNet bounds a phase that hangs; it is not a measurement.
	notesSafetyNet = 5 * time.Minute
	// notesSettle lets pdbot finish the work that follows an answer (the
	// audit row, written in batches) before its CPU is read; pdbot idles
	// in it (barebot has no such work and idles throughout).
	notesSettle = 200 * time.Millisecond
)

// The environment of TestHelperFloorNotes, set by floorNotesProcess.
const (
	floorEnvURL       = "PDBOT_BENCH_FLOOR_PD_URL"
	floorEnvKey       = "PDBOT_BENCH_FLOOR_PD_KEY"
	floorEnvIncidents = "PDBOT_BENCH_FLOOR_INCIDENTS" // comma-separated IDs
	floorEnvN         = "PDBOT_BENCH_FLOOR_N"
)

// floorLine starts the line TestHelperFloorNotes prints with its figures.
const floorLine = "floor-notes:"

// The environment of TestHelperBareBot, set by bareBotNotesProcess.
const (
	bareEnvSlackURL = "PDBOT_BENCH_BARE_SLACK_URL"
	bareEnvAppToken = "PDBOT_BENCH_BARE_APP_TOKEN"
	bareEnvBotToken = "PDBOT_BENCH_BARE_BOT_TOKEN"
	bareEnvPDURL    = "PDBOT_BENCH_BARE_PD_URL"
	bareEnvPDKey    = "PDBOT_BENCH_BARE_PD_KEY"
)

// bareReadyLine is the line TestHelperBareBot prints once Slack said hello
// on its socket.
const bareReadyLine = "barebot: connected"

// benchFakes starts the fakes, with the canary tokens, seeded with the demo
// world, for b.
func benchFakes(b *testing.B) (*slackfake.Fake, *pdfake.Server) {
	b.Helper()
	opts := demoworld.SlackOptions()
	opts.AppToken, opts.BotToken = canaryApp, canaryBot
	sf, err := slackfake.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sf.Close)
	pd, err := pdfake.New(pdfake.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pd.Close)
	demoworld.Seed(sf, pd)
	return sf, pd
}

// notesWorld starts the fakes of BenchmarkNotesProcess in this process:
// the demo world, no PagerDuty rate limit, and the incidents the notes go to.
func notesWorld(b *testing.B) (*slackfake.Fake, *pdfake.Server, []string) {
	b.Helper()
	sf, pd := benchFakes(b)
	pd.SetRateLimit(0, 0, true)
	var incs []string
	for i := range notesIncidents {
		id := fmt.Sprintf("Q0BENCH%07d", i)
		pd.AddIncident(pdfake.Incident{ID: id, Title: fmt.Sprintf("bench %d", i), ServiceID: demoworld.ServiceDBID, Assignees: []string{demoworld.PDBobID}})
		incs = append(incs, id)
	}
	return sf, pd, incs
}

// floorNotesProcess runs the floor's loop in a child process and reports
// the figures it measured itself.
func floorNotesProcess(b *testing.B, lat time.Duration) {
	_, pd, incs := notesWorld(b)
	pd.SetLatency(lat)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperFloorNotes$", "-test.count=1", "-test.timeout="+notesSafetyNet.String())
	cmd.Env = append(os.Environ(),
		floorEnvURL+"="+pd.URL(), floorEnvKey+"="+demoworld.DemoPDKey,
		floorEnvIncidents+"="+strings.Join(incs, ","), floorEnvN+"="+strconv.Itoa(b.N))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	conns := pd.Connections()
	fakes0 := selfCPU()
	b.ResetTimer()
	err := cmd.Run()
	b.StopTimer()
	fakes := selfCPU() - fakes0
	if err != nil {
		b.Fatalf("floor process: %v\n%s", err, out.String())
	}
	var wall, cpu time.Duration
	found := false
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), floorLine); ok {
			var n int
			if _, err := fmt.Sscanf(rest, " n=%d wall-ns=%d cpu-ns=%d", &n, &wall, &cpu); err != nil || n != b.N {
				b.Fatalf("floor process printed %q (n=%d, want %d): %v", sc.Text(), n, b.N, err)
			}
			found = true
		}
	}
	if !found {
		b.Fatalf("floor process printed no %q line:\n%s", floorLine, out.String())
	}
	landed := notesLanded(pd, incs)
	if landed != b.N {
		b.Fatalf("%d of %d notes reached PagerDuty", landed, b.N)
	}
	reportNotes(b, wall, cpu, fakes, pd.Connections()-conns)
}

// TestHelperFloorNotes is the floor of BenchmarkNotesProcess, in a process
// of its own: the loop of floorNotes (bot/perf_bench_test.go), 50 notes in
// flight on one go-pagerduty client. It measures its own CPU and wall time
// around the loop and prints them. It does nothing unless started by the
// benchmark.
func TestHelperFloorNotes(t *testing.T) {
	url := os.Getenv(floorEnvURL)
	if url == "" {
		t.Skip("the floor process of BenchmarkNotesProcess; run by it only")
	}
	n, err := strconv.ParseInt(os.Getenv(floorEnvN), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	incs := strings.Split(os.Getenv(floorEnvIncidents), ",")
	client := pagerduty.NewClient(os.Getenv(floorEnvKey), pagerduty.WithAPIEndpoint(url))
	cpu0, t0 := selfCPU(), time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range notesInFlight {
		wg.Go(func() {
			for i := next.Add(1); i <= n; i = next.Add(1) {
				note := pagerduty.IncidentNote{Content: fmt.Sprintf("floor %d", i)}
				note.User.Summary = demoworld.AliceEmail
				if _, err := client.CreateIncidentNoteWithContext(context.Background(), incs[int(i)%len(incs)], note); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	wall, cpu := time.Since(t0), selfCPU()-cpu0
	fmt.Printf("%s n=%d wall-ns=%d cpu-ns=%d\n", floorLine, n, wall.Nanoseconds(), cpu.Nanoseconds())
}

// TestHelperBareBot is barebot of BenchmarkNotesProcess, in a process of
// its own: the least any Slack bot must do for `/pd note`, with the
// libraries pdbot uses and nothing else. A slack-go Socket Mode client
// takes each slash command; a goroutine per envelope acks it at once,
// splits its text (`note INCIDENT TEXT…`), adds the note with go-pagerduty
// as the requester (whose email it is given, not looked up) and posts the
// answer to the response_url with slack-go, the call pdbot's reply uses.
// No store, audit, access checks, user or channel lookups, pacing,
// retries, logging or metrics. It serves until SIGTERM. It does nothing
// unless started by the benchmark.
func TestHelperBareBot(t *testing.T) {
	slackURL := os.Getenv(bareEnvSlackURL)
	if slackURL == "" {
		t.Skip("barebot of BenchmarkNotesProcess; run by it only")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	// Both clients keep as many idle connections a host as pdbot's do
	// (pdapi.NewTransport): http.DefaultTransport keeps 2 and go-pagerduty's
	// default GOMAXPROCS+1, so with 50 notes in flight barebot would open
	// a connection for most calls, a cost pdbot does not pay. The 10 s
	// timeout is pdbot's Slack client's.
	httpClient := func() *http.Client {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 128, 128
		return &http.Client{Timeout: 10 * time.Second, Transport: tr}
	}
	pd := pagerduty.NewClient(os.Getenv(bareEnvPDKey), pagerduty.WithAPIEndpoint(os.Getenv(bareEnvPDURL)))
	pd.HTTPClient = httpClient()
	api := slack.New(os.Getenv(bareEnvBotToken),
		slack.OptionAppLevelToken(os.Getenv(bareEnvAppToken)),
		slack.OptionAPIURL(slackURL),
		slack.OptionHTTPClient(httpClient()))
	sm := socketmode.New(api)
	runErr := make(chan error, 1)
	go func() { runErr <- sm.RunContext(ctx) }()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-runErr:
			if ctx.Err() == nil {
				t.Errorf("socket mode stopped: %v", err)
			}
			return
		case evt := <-sm.Events:
			switch evt.Type {
			case socketmode.EventTypeHello:
				fmt.Println(bareReadyLine)
			case socketmode.EventTypeSlashCommand:
				cmd, ok := evt.Data.(slack.SlashCommand)
				if !ok || evt.Request == nil {
					continue
				}
				req := *evt.Request
				wg.Go(func() { bareNote(ctx, t, sm, api, pd, req, cmd) })
			}
		}
	}
}

// bareNote is barebot's answer to one `/pd note` envelope.
func bareNote(ctx context.Context, t *testing.T, sm *socketmode.Client, api *slack.Client, pd *pagerduty.Client, req socketmode.Request, cmd slack.SlashCommand) {
	if err := sm.Ack(req); err != nil {
		t.Errorf("ack: %v", err)
		return
	}
	var answer string
	if f := strings.Fields(cmd.Text); len(f) < 3 || f[0] != "note" {
		answer = "Usage: `/pd note INCIDENT TEXT`"
	} else {
		note := pagerduty.IncidentNote{Content: strings.Join(f[2:], " ")}
		note.User.Summary = demoworld.AliceEmail
		if _, err := pd.CreateIncidentNoteWithContext(ctx, f[1], note); err != nil {
			answer = "The note was not added: " + err.Error()
		} else {
			answer = fmt.Sprintf(":memo: added a note to `%s` via Slack:\n>%s", f[1], note.Content)
		}
	}
	// pdbot answers a note in the channel (its reply is InChannel).
	if _, _, err := api.PostMessageContext(ctx, cmd.ChannelID,
		slack.MsgOptionText(answer, false),
		slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeInChannel)); err != nil {
		t.Errorf("answer: %v", err)
	}
}

// pdbotNotesProcess runs `pdbot serve` against the fakes, the demo
// account's PagerDuty key set for the incident channel, and drives it with
// notesViaSlack.
func pdbotNotesProcess(b *testing.B, bin string, lat time.Duration) {
	sf, pd, incs := notesWorld(b)
	dir := b.TempDir()
	dbPath := filepath.Join(dir, "pdbot.db")
	setChannelKey(b, dbPath)
	p := startServe(b, bin, dir, []string{
		"SLACK_APP_TOKEN=" + canaryApp, "SLACK_BOT_TOKEN=" + canaryBot,
		"SLACK_API_URL=" + sf.URL(), "PAGERDUTY_API_URL=" + pd.URL(),
		"PDBOT_STORE=bolt:" + dbPath, "PDBOT_MASTER_KEY=" + canaryMaster,
	})
	notesViaSlack(b, sf, pd, incs, p, lat)
}

// bareBotNotesProcess runs barebot (TestHelperBareBot) against the fakes
// and drives it with notesViaSlack, as pdbot is.
func bareBotNotesProcess(b *testing.B, lat time.Duration) {
	sf, pd, incs := notesWorld(b)
	notesViaSlack(b, sf, pd, incs, startBareBot(b, sf, pd), lat)
}

// startBareBot runs barebot (TestHelperBareBot) against sf and pd, with the
// demo account's PagerDuty key for every channel, and waits until Slack has
// said hello on its socket.
func startBareBot(b *testing.B, sf *slackfake.Fake, pd *pdfake.Server) *clientProcess {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBareBot$", "-test.count=1", "-test.timeout="+(2*notesSafetyNet).String())
	cmd.Env = append(os.Environ(),
		bareEnvSlackURL+"="+sf.URL(), bareEnvAppToken+"="+canaryApp, bareEnvBotToken+"="+canaryBot,
		bareEnvPDURL+"="+pd.URL(), bareEnvPDKey+"="+demoworld.DemoPDKey)
	return startClient(b, "barebot", cmd, filepath.Join(b.TempDir(), "barebot.log"), func(p *clientProcess) bool {
		return strings.Contains(p.log(), bareReadyLine)
	})
}

// notesViaSlack is the measured phase of a bot that answers `/pd note`
// (pdbot, barebot), running in p: notesWarmUps commands with no PagerDuty
// latency, then b.N commands with lat, 50 at a time, each sender waiting
// for its command's answer on the response_url before sending the next.
// It checks every note reached PagerDuty and reports the phase.
func notesViaSlack(b *testing.B, sf *slackfake.Fake, pd *pdfake.Server, incs []string, p *clientProcess, lat time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), notesSafetyNet)
	defer cancel()
	note := func(i int, what string) error {
		d, err := sf.Slash(demoworld.AliceID, demoworld.IncChannelID, fmt.Sprintf("/pd note %s %s %d", incs[i%len(incs)], what, i))
		if err != nil {
			return err
		}
		r, err := d.WaitResponse(ctx)
		if err != nil {
			return fmt.Errorf("%w\n%s's log:\n%s", err, p.name, p.log())
		}
		if r.Error != "" {
			return fmt.Errorf("answer refused by Slack: %s", r.Error)
		}
		return nil
	}
	for i := range notesWarmUps {
		if err := note(i, "warm-up"); err != nil {
			b.Fatal(err)
		}
	}
	pd.SetLatency(lat)
	time.Sleep(notesSettle) // the warm-ups' audit rows, outside the phase
	conns := pd.Connections()
	cpu0, fakes0 := p.cpu(b), selfCPU()
	b.ResetTimer()
	t0 := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	n := int64(b.N)
	for range notesInFlight {
		wg.Go(func() {
			for i := next.Add(1); i <= n; i = next.Add(1) {
				if err := note(int(i), "bench"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(t0)
	b.StopTimer()
	time.Sleep(notesSettle) // the last notes' audit rows, inside the phase's CPU
	cpu, fakes := p.cpu(b)-cpu0, selfCPU()-fakes0
	if b.Failed() {
		return
	}
	if landed := notesLanded(pd, incs); landed != b.N+notesWarmUps {
		b.Fatalf("%d of %d notes (%d warm-ups) reached PagerDuty", landed, b.N+notesWarmUps, notesWarmUps)
	}
	reportNotes(b, wall, cpu, fakes, pd.Connections()-conns)
	pd.SetLatency(0)
}

// setChannelKey stores the demo account's PagerDuty key for the demo
// incident channel in the bolt store at dbPath, before pdbot opens it.
func setChannelKey(b *testing.B, dbPath string) {
	b.Helper()
	setChannelKeys(b, dbPath, map[string]string{demoworld.IncChannelID: demoworld.DemoPDKey})
}

// setChannelKeys stores each channel's PagerDuty key (channel → key) in the
// bolt store at dbPath, before pdbot opens it.
func setChannelKeys(b *testing.B, dbPath string, keys map[string]string) {
	b.Helper()
	ring, err := store.ParseKeyRing(canaryMaster)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.OpenBolt(dbPath, ring)
	if err != nil {
		b.Fatal(err)
	}
	for ch, key := range keys {
		if err := st.SetAPIKey(context.Background(), demoworld.TeamID, ch, store.Secret(key), demoworld.AliceID); err != nil {
			st.Close()
			b.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
}

// clientProcess is a bot of a benchmark running in a process of its own:
// `pdbot serve` or barebot.
type clientProcess struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	err     error // cmd.Wait's, once exited is closed
}

// startServe runs `pdbot serve` with env (and an ops address of its own),
// its output in a file in dir, and waits until it is ready.
func startServe(b *testing.B, bin, dir string, env []string) *clientProcess {
	b.Helper()
	addr := freeAddr(b)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(env, "PDBOT_HTTP_ADDR="+addr)
	return startClient(b, "pdbot", cmd, filepath.Join(dir, "pdbot.log"), func(*clientProcess) bool { return ready(addr) })
}

// startClient starts cmd, its output in the file logPath, and waits until
// ready says it is. It is stopped with SIGTERM at the end of the benchmark.
func startClient(b *testing.B, name string, cmd *exec.Cmd, logPath string, ready func(*clientProcess) bool) *clientProcess {
	b.Helper()
	p := &clientProcess{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		b.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		b.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	b.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second): // a safety net
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	for deadline := time.Now().Add(30 * time.Second); !ready(p); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.exited:
			b.Fatalf("%s exited early (%v):\n%s", p.name, p.err, p.log())
		default:
		}
		if time.Now().After(deadline) { // a safety net
			b.Fatalf("%s never became ready:\n%s", p.name, p.log())
		}
	}
	return p
}

// log is what the process wrote so far.
func (p *clientProcess) log() string {
	raw, _ := os.ReadFile(p.logPath)
	return string(raw)
}

// cpu is the process's user + system CPU time so far, all its threads.
func (p *clientProcess) cpu(b *testing.B) time.Duration {
	b.Helper()
	d, err := procCPU(p.cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// procCPU reads a process's user + system CPU time (all its threads, the
// ones that ended included) from /proc/<pid>/stat: fields 14 and 15, in
// clock ticks.
func procCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// Field 2, the command name, is in parentheses and may hold spaces;
	// field 3 is the first after the last ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields after the name", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[14-3], 10, 64)
	stime, err2 := strconv.ParseInt(f[15-3], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", pid, f[14-3], f[15-3])
	}
	return time.Duration(utime+stime) * time.Second / time.Duration(clockTicks()), nil
}

// clockTicks is the kernel's USER_HZ, the unit of /proc's CPU times: the
// AT_CLKTCK entry of this process's auxiliary vector (what
// sysconf(_SC_CLK_TCK) returns), 100 if it cannot be read.
var clockTicks = sync.OnceValue(func() int64 {
	const atClkTck = 17
	raw, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return 100
	}
	word := strconv.IntSize / 8
	for i := 0; i+2*word <= len(raw); i += 2 * word {
		var k, v uint64
		if word == 8 {
			k, v = binary.NativeEndian.Uint64(raw[i:]), binary.NativeEndian.Uint64(raw[i+8:])
		} else {
			k, v = uint64(binary.NativeEndian.Uint32(raw[i:])), uint64(binary.NativeEndian.Uint32(raw[i+4:]))
		}
		if k == atClkTck && v > 0 {
			return int64(v)
		}
	}
	return 100
})

// selfCPU is this process's user + system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// notesLanded counts the notes on incs.
func notesLanded(pd *pdfake.Server, incs []string) int {
	n := 0
	for _, id := range incs {
		inc, _ := pd.Incident(id)
		n += len(inc.Notes)
	}
	return n
}

// reportNotes reports a phase of b.N notes: wall time, the client's CPU
// and the benchmark process's (the fakes and the driver).
func reportNotes(b *testing.B, wall, cpu, fakes time.Duration, conns int) {
	n := float64(b.N)
	b.ReportMetric(float64(wall.Nanoseconds())/n, "ns/op") // the phase only, not process start-up
	b.ReportMetric(n/wall.Seconds(), "notes/s")
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-us/note")
	b.ReportMetric(float64(fakes.Microseconds())/n, "fakes-cpu-us/note")
	b.ReportMetric(float64(conns), "conns")
}
