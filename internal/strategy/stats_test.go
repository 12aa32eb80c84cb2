package strategy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testdata/haproxy-2.6.csv is what Debian's HAProxy 2.6.12 served at `stats uri` with ;csv,
// after 30 requests to a backend of two servers weighted 90 and 10.
func TestParseCSV(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "haproxy-2.6.csv"))
	if err != nil {
		t.Fatal(err)
	}
	servers, err := ParseCSV(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []Server{
		{Backend: "app", Name: "blue", Mode: "http", Status: "UP", Weight: 90, Requests: 20, Responses5xx: 6, Rtime: 1, Ttime: 3},
		{Backend: "app", Name: "green", Mode: "http", Status: "UP", Weight: 10, Requests: 10, Rtime: 0, Ttime: 2},
	}
	if fmt.Sprint(servers) != fmt.Sprint(want) {
		t.Fatalf("ParseCSV =\n%+v\nwant\n%+v", servers, want)
	}
	for _, bad := range []string{"", "pxname,svname\n", "# pxname,svname,status\nx,y,UP\n", "# a,b\n\"unterminated\n"} {
		if _, err := ParseCSV([]byte(bad)); err == nil {
			t.Errorf("ParseCSV(%q) accepted", bad)
		}
	}
}

// TestStatsHAProxy reads the statistics of a real HAProxy in front of one server that
// fails every third request.
func TestStatsHAProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts HAProxy")
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		haproxy, err = exec.LookPath("/usr/sbin/haproxy") // Debian's, off a user's PATH
	}
	if err != nil {
		if os.Getenv("KILN_REQUIRE_TOOLS") != "" {
			t.Fatal("haproxy is not installed (scripts/ci-tools.sh haproxy)")
		}
		t.Skip("haproxy is not installed")
	}
	var n atomic.Int64
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" && n.Add(1)%3 == 0 {
			w.WriteHeader(500)
		}
	}))
	defer app.Close()
	front, stats := freePort(t), freePort(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:%d
    default_backend app
frontend stats
    bind 127.0.0.1:%d
    stats enable
    stats uri /stats
backend app
    option httpchk GET /healthz
    server blue %s weight 100 check inter 200ms
    server green 127.0.0.1:1 weight 0 disabled
`, front, stats, strings.TrimPrefix(app.URL, "http://"))
	if err := os.WriteFile(filepath.Join(dir, "haproxy.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(haproxy, "-db", "-f", filepath.Join(dir, "haproxy.cfg"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	st := Stats{URL: fmt.Sprintf("http://127.0.0.1:%d/stats;csv", stats), Backend: "app"}
	ctx := context.Background()
	var before Server
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if before, err = st.Slot(ctx, Blue); err == nil && before.Up() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("blue is not up: %+v, %v", before, err)
		}
	}
	for i := 0; i < 30; i++ {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", front))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	after, err := st.Slot(ctx, Blue)
	if err != nil {
		t.Fatal(err)
	}
	w := Delta(before, after)
	if w.Requests != 30 || w.Errors != 10 || !w.Up {
		t.Errorf("blue's window: %+v, want 30 requests, 10 failed, up", w)
	}
	green, err := st.Slot(ctx, Green)
	if err != nil || green.Status != "MAINT" || green.Up() || green.Requests != 0 {
		t.Errorf("green: %+v, %v; want MAINT without requests", green, err)
	}
	if _, err := (Stats{URL: st.URL, Backend: "web"}).Slot(ctx, Blue); err == nil || !strings.Contains(err.Error(), "no server blue (or blue-<n>) in backend web") {
		t.Errorf("a backend without the slot: %v", err)
	}
	if _, err := (Stats{URL: fmt.Sprintf("http://u:hunter2@127.0.0.1:%d/nope", stats)}).Slot(ctx, Blue); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a wrong URL: %v (the password must not show)", err)
	}
}

func TestServerUp(t *testing.T) {
	for status, up := range map[string]bool{"UP": true, "UP 1/3": true, "DRAIN": true, "DRAIN (agent)": true, "no check": true,
		"DOWN": false, "DOWN 1/2": false, "MAINT": false, "MAINT (via app/x)": false, "NOLB": false, "": false} {
		if got := (Server{Status: status}).Up(); got != up {
			t.Errorf("status %q: Up = %v, want %v", status, got, up)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A slot of several servers (blue-0, blue-1) is one summed line: up only when all are, its
// latency the slowest's; servers of other names and other backends are not the slot's.
func TestStatsSlotOfSeveralServers(t *testing.T) {
	csv := "# pxname,svname,status,weight,stot,req_tot,hrsp_5xx,econ,eresp,rtime,ttime,mode,type\n" +
		"app,FRONTEND,OPEN,,90,90,0,,,,,http,0\n" +
		"app,blue-0,UP,50,40,40,2,0,1,3,5,http,2\n" +
		"app,blue-1,UP,50,45,45,1,1,0,7,9,http,2\n" +
		"app,blue-10,DOWN,50,1,1,0,0,0,1,1,http,2\n" +
		"app,blueish,DOWN,0,0,0,0,0,0,0,0,http,2\n" +
		"app,blue-x,DOWN,0,0,0,0,0,0,0,0,http,2\n" +
		"app,green,MAINT,0,5,5,0,0,0,1,1,http,2\n" +
		"other,green-0,UP,1,0,0,0,0,0,0,0,http,2\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, csv) }))
	defer srv.Close()
	st := Stats{URL: srv.URL}
	blue, err := st.Slot(context.Background(), "blue")
	if err != nil {
		t.Fatal(err)
	}
	want := Server{Backend: "app", Name: "blue", Mode: "http", Status: "DOWN (blue-10)", Weight: 150, Requests: 86,
		Responses5xx: 3, ConnErrors: 1, RespErrors: 1, Rtime: 7, Ttime: 9}
	if blue != want || blue.Up() || blue.Failures() != 5 {
		t.Errorf("blue = %+v, want %+v", blue, want)
	}
	if _, err := st.Slot(context.Background(), "green"); err == nil || !strings.Contains(err.Error(), "several backends") {
		t.Errorf("green in two backends: %v", err)
	}
	st.Backend = "app"
	if g, err := st.Slot(context.Background(), "green"); err != nil || g.Name != "green" || g.Requests != 5 {
		t.Errorf("green in app: %+v %v", g, err)
	}
	if _, err := st.Slot(context.Background(), "red"); err == nil || !strings.Contains(err.Error(), "no server red (or red-<n>) in backend app") {
		t.Errorf("red: %v", err)
	}
}
