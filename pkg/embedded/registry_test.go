package embedded

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// call sends one request to the registry and returns the status and the
// decoded JSON answer (nil when it is not an object).
func call(t *testing.T, method, url, auth, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s %s: %d %q: %v", method, url, resp.StatusCode, data, err)
	}
	m, _ := v.(map[string]any)
	return resp.StatusCode, m
}

func TestRegistry(t *testing.T) {
	r, err := StartRegistry(RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !strings.HasPrefix(r.URL(), "http://127.0.0.1:") {
		t.Errorf("URL %s", r.URL())
	}
	schema := `{"schema":"{\"type\":\"string\"}"}`
	code, m := call(t, "POST", r.URL()+"/subjects/users-value/versions", "", schema)
	if code != 200 || m["id"] == nil {
		t.Fatalf("register: %d %v", code, m)
	}
	id := strconv.Itoa(int(m["id"].(float64)))
	if code, m := call(t, "GET", r.URL()+"/schemas/ids/"+id, "", ""); code != 200 || m["schema"] != `{"type":"string"}` {
		t.Errorf("by id: %d %v", code, m)
	}
	// Compatibility is refused in the registry's error shape, never
	// answered "compatible" without a check.
	code, m = call(t, "POST", r.URL()+"/compatibility/subjects/users-value/versions/latest", "", schema)
	if code != http.StatusNotImplemented || m["error_code"] != 50101.0 || !strings.Contains(m["message"].(string), "does not check compatibility") {
		t.Errorf("compatibility: %d %v", code, m)
	}
	// Everything else is srfake's.
	if code, _ := call(t, "GET", r.URL()+"/config", "", ""); code != 200 {
		t.Errorf("config: %d", code)
	}
	if r.Fake() == nil {
		t.Errorf("no fake to seed")
	}

	// A taken port fails, naming the embedded registry.
	port := r.URL()[strings.LastIndex(r.URL(), ":")+1:]
	p, _ := strconv.Atoi(port)
	if r2, err := StartRegistry(RegistryOptions{Port: p}); err == nil || !strings.HasPrefix(err.Error(), "embedded schema registry: ") {
		if r2 != nil {
			r2.Close()
		}
		t.Errorf("port in use: %v", err)
	}
}

func TestRegistryAuth(t *testing.T) {
	const auth = "Bearer s3cret"
	r, err := StartRegistry(RegistryOptions{Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, c := range []struct {
		auth string
		want int
	}{{"", http.StatusUnauthorized}, {"Bearer wrong", http.StatusForbidden}, {auth, http.StatusOK}} {
		if code, m := call(t, "GET", r.URL()+"/subjects", c.auth, ""); code != c.want {
			t.Errorf("Authorization %q: %d %v, want %d", c.auth, code, m, c.want)
		}
	}
}
