package strategy

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Server is one server's line of the load balancer's statistics: HAProxy's CSV
// (https://docs.haproxy.org/2.6/management.html#9.1). Counters are cumulative since the
// load balancer started; Rtime and Ttime are HAProxy's averages over the server's last 1024
// requests, in milliseconds: the server's response time (headers received; 0 in TCP mode)
// and the total time, which with keep-alive includes the client's idle time.
type Server struct {
	Backend, Name string
	Mode          string // http or tcp
	Status        string // UP, DOWN, MAINT, DRAIN, NOLB, "no check", possibly with "n/m"
	Weight        int
	Requests      int64 // req_tot (stot when the line has no req_tot)
	Responses5xx  int64 // hrsp_5xx
	ConnErrors    int64 // econ
	RespErrors    int64 // eresp
	Rtime, Ttime  int64 // ms
}

// Failures counts the server's failed requests: 5xx responses, connection and response
// errors.
func (s Server) Failures() int64 { return s.Responses5xx + s.ConnErrors + s.RespErrors }

// Up reports whether the load balancer finds the server healthy: UP (also while going
// down, "UP 1/3"), DRAIN (healthy, taking no new traffic), or no health check configured.
func (s Server) Up() bool {
	return strings.HasPrefix(s.Status, "UP") || strings.HasPrefix(s.Status, "DRAIN") || s.Status == "no check"
}

// ParseCSV reads HAProxy's statistics CSV ("# pxname,svname,..." then one line per
// frontend, server and backend) and returns its server lines.
func ParseCSV(data []byte) ([]Server, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("statistics CSV: %w", err)
	}
	if len(head) == 0 || !strings.HasPrefix(head[0], "# ") {
		return nil, errors.New(`statistics CSV: no "# pxname,svname,..." header line (is the URL HAProxy's stats page with ;csv?)`)
	}
	head[0] = strings.TrimPrefix(head[0], "# ")
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, need := range []string{"pxname", "svname", "status", "weight", "stot", "hrsp_5xx"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("statistics CSV: no %s column", need)
		}
	}
	var out []Server
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("statistics CSV: %w", err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		if sv := get("svname"); sv == "FRONTEND" || sv == "BACKEND" || get("type") != "" && get("type") != "2" {
			continue
		}
		s := Server{Backend: get("pxname"), Name: get("svname"), Mode: get("mode"), Status: get("status")}
		s.Weight = int(num(get("weight")))
		s.Requests = num(get("req_tot"))
		if get("req_tot") == "" {
			s.Requests = num(get("stot"))
		}
		s.Responses5xx, s.ConnErrors, s.RespErrors = num(get("hrsp_5xx")), num(get("econ")), num(get("eresp"))
		s.Rtime, s.Ttime = num(get("rtime")), num(get("ttime"))
		out = append(out, s)
	}
}

// num reads a CSV counter; an empty or malformed field is 0.
func num(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// Stats reads the load balancer's statistics from a URL.
type Stats struct {
	URL     string
	Backend string       // "" when the slots' server names are unique across backends
	Client  *http.Client // nil: a client with a 5 s timeout and no proxy
}

// Slot returns the line of slot's servers: the server named after the slot, or the
// servers named slot-<n> (several servers per slot), summed into one line. A slot of
// several servers is up when all of them are, and its latency is the slowest one's.
func (st Stats) Slot(ctx context.Context, slot string) (Server, error) {
	servers, err := st.read(ctx)
	if err != nil {
		return Server{}, err
	}
	var found []Server
	backends := map[string]bool{}
	for _, s := range servers {
		if ofSlot(s.Name, slot) && (st.Backend == "" || s.Backend == st.Backend) {
			found = append(found, s)
			backends[s.Backend] = true
		}
	}
	switch {
	case len(found) == 0 && st.Backend != "":
		return Server{}, fmt.Errorf("the statistics at %s have no server %s (or %s-<n>) in backend %s", redacted(st.URL), slot, slot, st.Backend)
	case len(found) == 0:
		return Server{}, fmt.Errorf("the statistics at %s have no server named %s (or %s-<n>)", redacted(st.URL), slot, slot)
	case len(backends) > 1:
		return Server{}, fmt.Errorf("the statistics at %s have servers of slot %s in several backends: output %s must name one",
			redacted(st.URL), slot, OutputStatsBackend)
	}
	return merge(slot, found), nil
}

// ofSlot says whether a server's name is slot's: the slot itself, or slot-<digits>.
func ofSlot(name, slot string) bool {
	if name == slot {
		return true
	}
	n, ok := strings.CutPrefix(name, slot+"-")
	if !ok || n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// merge sums the lines of one slot's servers.
func merge(slot string, servers []Server) Server {
	if len(servers) == 1 {
		return servers[0]
	}
	m := Server{Backend: servers[0].Backend, Name: slot, Mode: servers[0].Mode, Status: "UP"}
	for _, s := range servers {
		if !s.Up() && m.Up() {
			m.Status = s.Status + " (" + s.Name + ")"
		}
		m.Weight += s.Weight
		m.Requests += s.Requests
		m.Responses5xx += s.Responses5xx
		m.ConnErrors += s.ConnErrors
		m.RespErrors += s.RespErrors
		m.Rtime, m.Ttime = max(m.Rtime, s.Rtime), max(m.Ttime, s.Ttime)
	}
	return m
}

func (st Stats) read(ctx context.Context) ([]Server, error) {
	client := st.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("statistics URL %s: %w", redacted(st.URL), err)
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL, user:password@ included
		}
		return nil, fmt.Errorf("read statistics %s: %w", redacted(st.URL), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("read statistics %s: %w", redacted(st.URL), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read statistics %s: status %d", redacted(st.URL), resp.StatusCode)
	}
	return ParseCSV(data)
}

// redacted returns u without its password, for messages.
func redacted(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(an unparsable URL)"
	}
	return p.Redacted()
}
