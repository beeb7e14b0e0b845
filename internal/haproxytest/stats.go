package haproxytest

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Server is one replica as HAProxy sees it.
type Server struct {
	Status   string // UP, DOWN, "UP 1/2" while a check is changing it, MAINT …
	Sessions int64  // requests sent to it so far (stot)
	// Failures are what a client would have met without HAProxy's
	// retries: connections refused or timed out (econ), responses cut or
	// missing (eresp), retries (wretr) and redispatches (wredis) away
	// from it.
	Failures int64
}

// Servers reads the replicas backend's servers from the stats CSV.
func (b *Balancer) Servers() (map[string]Server, error) {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(b.StatsURL + "/stats;csv")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	r := csv.NewReader(resp.Body)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, fmt.Errorf("haproxy stats csv: %v (%d rows)", err, len(rows))
	}
	head := rows[0]
	head[0] = strings.TrimPrefix(head[0], "# ")
	col := func(name string) int { return slices.Index(head, name) }
	px, sv, status := col("pxname"), col("svname"), col("status")
	num := func(row []string, name string) int64 {
		i := col(name)
		if i < 0 || i >= len(row) {
			return 0
		}
		n, _ := strconv.ParseInt(row[i], 10, 64)
		return n
	}
	out := map[string]Server{}
	for _, row := range rows[1:] {
		if len(row) <= status || row[px] != "replicas" || row[sv] == "BACKEND" || row[sv] == "FRONTEND" {
			continue
		}
		out[row[sv]] = Server{Status: row[status], Sessions: num(row, "stot"),
			Failures: num(row, "econ") + num(row, "eresp") + num(row, "wretr") + num(row, "wredis")}
	}
	return out, nil
}

// WaitStatus polls until every named server's status is want ("UP",
// "DOWN"), within timeout.
func (b *Balancer) WaitStatus(timeout time.Duration, want string, servers ...string) error {
	deadline := time.Now().Add(timeout)
	for {
		all, err := b.Servers()
		if err == nil && everyStatus(all, want, servers) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("haproxy servers %v not all %s after %s: %v %v", servers, want, timeout, all, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func everyStatus(all map[string]Server, want string, names []string) bool {
	for _, n := range names {
		if all[n].Status != want {
			return false
		}
	}
	return true
}

// ServerNames are the replicas' names in haproxy.cfg, in order.
func ServerNames() []string {
	names := make([]string, Replicas)
	for i := range names {
		names[i] = "replica" + strconv.Itoa(i+1)
	}
	return names
}
