package cmdutil

import (
	"slices"
	"strings"
	"testing"

	"github.com/kx-cli/kx/pkg/iostreams"
)

func TestRedactArgs(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	ios.AddSecret("hunter22")
	got := RedactArgs(ios, []string{"kx", "export", "mix", "-X", "sasl.password=XA_s3cr3t_1", "-Xsasl.password=pw2",
		"--property=ssl.key.password=pw3", "--property", "ssl.keystore.password=pw4", "-X", "sasl.oauthbearer.client.secret=pw5",
		"-X", "sasl.oauthbearer.config=pw6", "-X", "ssl.key.pem=pw7", "-X", "my.api.token=pw8", "-X", "linger.ms=5", "--jq", ".x==\"hunter22\""})
	want := []string{"kx", "export", "mix", "-X", "sasl.password=[REDACTED]", "-Xsasl.password=[REDACTED]",
		"--property=ssl.key.password=[REDACTED]", "--property", "ssl.keystore.password=[REDACTED]", "-X", "sasl.oauthbearer.client.secret=[REDACTED]",
		"-X", "sasl.oauthbearer.config=[REDACTED]", "-X", "ssl.key.pem=[REDACTED]", "-X", "my.api.token=[REDACTED]", "-X", "linger.ms=5", "--jq", ".x==\"[REDACTED]\""}
	if !slices.Equal(got, want) {
		t.Errorf("RedactArgs =\n%q\nwant\n%q", got, want)
	}
	for _, a := range got {
		for _, secret := range []string{"XA_s3cr3t_1", "pw2", "pw3", "pw4", "pw5", "pw6", "pw7", "pw8", "hunter22"} {
			if strings.Contains(a, secret) {
				t.Errorf("secret %s left in %q", secret, a)
			}
		}
	}
}
