package e2e

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Three replicas with --htpasswd --anonymous-pull and one --token-key-file
// behind HAProxy: a token any replica's realm issued opens every replica,
// a restarted one included, so crane logs in and pushes through the balancer (its token comes from
// the replica /v2/token hashes to, its push goes to team/app's owner),
// and anonymous clients pull mirrored and hosted images through it.
func TestClusterSharesAnonymousPullTokens(t *testing.T) {
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	imgs := addSharedBaseImages(t, hub, 3)
	key := make([]byte, 32)
	rand.Read(key)
	c := startCluster(t, "--upstream", hub.URL, "--htpasswd", writeHtpasswd(t, "dev", "push-pass"),
		"--anonymous-pull", "--token-key-file", writeTestFile(t, "token.key", key, 0o600))

	for i, issuer := range c.replicas {
		token := replicaToken(t, issuer.URL)
		for j, h := range c.replicas {
			if resp, _ := httpDo(t, http.MethodGet, h.URL+"/v2/", http.Header{"Authorization": {"Bearer " + token}}); resp.StatusCode != 200 {
				t.Errorf("replica %d answers /v2/ with replica %d's login token %d, want 200", j+1, i+1, resp.StatusCode)
			}
		}
	}

	// The key outlives a restart, and so do the tokens signed with it.
	token := replicaToken(t, c.replicas[1].URL)
	c.kill(t, 0)
	c.restart(t, 0)
	if resp, _ := httpDo(t, http.MethodGet, c.replicas[0].URL+"/v2/", http.Header{"Authorization": {"Bearer " + token}}); resp.StatusCode != 200 {
		t.Errorf("restarted replica 1 answers /v2/ with a token from before its restart %d, want 200", resp.StatusCode)
	}
	c.waitStatus(t, "UP", 0)

	crane := goTool(t, craneModule)
	app := c.host + "/team/app:1"
	runTool(t, crane, "auth", "login", c.host, "-u", "dev", "-p", "push-pass")
	runTool(t, crane, "append", "--insecure", "-f", writeLayerTar(t, "app.bin", 64<<10), "-t", app)
	appDigest := strings.TrimSpace(runTool(t, crane, "digest", "--insecure", app))
	t.Run("anonymous", func(t *testing.T) { // a HOME of its own: no login
		if got := strings.TrimSpace(runTool(t, crane, "digest", "--insecure", app)); got != appDigest {
			t.Errorf("anonymous digest of %s through HAProxy = %s, want %s", app, got, appDigest)
		}
		if err := pullEvery(c.host, imgs, 2); err != nil {
			t.Errorf("anonymous pulls through HAProxy: %v", err)
		}
	})
	if n := hub.RequestsFor("team/app"); n != 0 {
		t.Errorf("%d requests for the hosted image reached the hub", n)
	}
}

// replicaToken is the login token replica base's realm issues to dev.
func replicaToken(t *testing.T, base string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v2/token?service=hubmirror&scope=repository:team/app:push,pull", nil)
	req.SetBasicAuth("dev", "push-pass")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 || body.Token == "" {
		t.Fatalf("token realm of %s: %d %v", base, resp.StatusCode, err)
	}
	return body.Token
}
