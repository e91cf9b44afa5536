//go:build linux

package bot

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The Socket Mode connection asks the kernel for a receive buffer that
// holds a burst (socketReadBuffer, or as much as net.core.rmem_max allows):
// left to autotuning it starts at 128 KiB, a burst of envelopes closes the
// window, and every ack waits for TCP's 200 ms probe (BenchmarkAckBurst).
func TestSocketDialerSizesTheReceiveBuffer(t *testing.T) {
	raw, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		t.Skipf("no /proc/sys here: %v", err)
	}
	rmemMax, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := socketDialer().NetDialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var gerr error
	if err := rc.Control(func(fd uintptr) { got, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF) }); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	// Linux reports twice what was set (the rest is its bookkeeping).
	if want := 2 * min(socketReadBuffer, rmemMax); got < want {
		t.Errorf("SO_RCVBUF = %d, want %d", got, want)
	}
}
