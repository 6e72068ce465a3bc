package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/rest"
)

// RegistryOptions configure a Registry client. Username/Password is basic
// auth, Token a bearer token; a URL's own user info is basic auth too.
type RegistryOptions struct {
	URL      string
	Username string
	Password string
	Token    string
	CAFile   string
	Timeout  time.Duration // per request, including connecting
}

// Registry is a Confluent-compatible Schema Registry client. It caches what
// it fetched, so each schema id is asked for once per run. Safe for
// concurrent use.
type Registry struct {
	c    schemaregistry.Client
	name string // the URL as it may be printed
}

// NewRegistry returns a client; nothing connects until the first call.
func NewRegistry(opts RegistryOptions) (*Registry, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	u, err := url.Parse(opts.URL)
	if err != nil || u.Host == "" {
		return nil, classErr(ErrInvalid, fmt.Errorf("schema registry %q: want an http:// or https:// URL", redactURL(opts.URL)))
	}
	name := redactURL(opts.URL)
	user, pass := opts.Username, opts.Password
	if u.User != nil {
		if user == "" {
			user = u.User.Username()
			pass, _ = u.User.Password()
		}
		u.User = nil
	}
	conf := schemaregistry.NewConfig(strings.TrimRight(u.String(), "/"))
	conf.MaxRetries = 1
	conf.RetriesWaitMs = 200
	conf.RetriesMaxWaitMs = 1000
	switch {
	case opts.Token != "":
		conf.BearerAuthCredentialsSource = "STATIC_TOKEN"
		conf.BearerAuthToken = opts.Token
	case user != "":
		conf.BasicAuthCredentialsSource = "USER_INFO"
		conf.BasicAuthUserInfo = user + ":" + pass
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, classErr(ErrInvalid, fmt.Errorf("schema registry ca-file: %w", err))
		}
		tlsConf.RootCAs = x509.NewCertPool()
		if !tlsConf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, classErr(ErrInvalid, fmt.Errorf("schema registry ca-file %s: no PEM certificate in it", opts.CAFile))
		}
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = tlsConf
	conf.HTTPClient = &http.Client{Timeout: opts.Timeout, Transport: authTransport{base}}
	c, err := schemaregistry.NewClient(conf)
	if err != nil {
		return nil, classErr(ErrInvalid, fmt.Errorf("schema registry %s: %w", name, err))
	}
	return &Registry{c: c, name: name}, nil
}

// Name is the registry's URL with any password redacted.
func (r *Registry) Name() string { return r.name }

// Close releases the client.
func (r *Registry) Close() { _ = r.c.Close() }

// SchemaByID returns the schema with a global id.
func (r *Registry) SchemaByID(ctx context.Context, id int) (Schema, error) {
	var info schemaregistry.SchemaInfo
	err := r.call(ctx, fmt.Sprintf("schema id %d", id), func() (err error) {
		info, err = r.c.GetBySubjectAndID("", id)
		return err
	})
	if err != nil {
		return Schema{}, err
	}
	return schemaOf(id, info), nil
}

// Subjects lists the registered subjects.
func (r *Registry) Subjects(ctx context.Context) ([]string, error) {
	var subjects []string
	err := r.call(ctx, "subjects", func() (err error) {
		subjects, err = r.c.GetAllSubjects()
		return err
	})
	return subjects, err
}

// Versions lists a subject's versions, oldest first.
func (r *Registry) Versions(ctx context.Context, subject string) ([]int, error) {
	var versions []int
	err := r.call(ctx, "subject "+subject, func() (err error) {
		versions, err = r.c.GetAllVersions(subject)
		return err
	})
	return versions, err
}

// SchemaVersion returns one version of a subject (LatestVersion: the newest).
func (r *Registry) SchemaVersion(ctx context.Context, subject string, version int) (SubjectSchema, error) {
	var md schemaregistry.SchemaMetadata
	what := fmt.Sprintf("subject %s version %d", subject, version)
	if version == LatestVersion {
		what = "subject " + subject
	}
	err := r.call(ctx, what, func() (err error) {
		if version == LatestVersion {
			md, err = r.c.GetLatestSchemaMetadata(subject)
		} else {
			md, err = r.c.GetSchemaMetadata(subject, version)
		}
		return err
	})
	if err != nil {
		return SubjectSchema{}, err
	}
	return SubjectSchema{Subject: subject, Version: md.Version, Schema: schemaOf(md.ID, md.SchemaInfo)}, nil
}

// Register registers s under subject (or finds it registered already) and
// returns the subject version with the schema's id.
func (r *Registry) Register(ctx context.Context, subject string, s Schema) (SubjectSchema, error) {
	var md schemaregistry.SchemaMetadata
	err := r.call(ctx, "register under "+subject, func() (err error) {
		md, err = r.c.RegisterFullResponse(subject, infoOf(s), false)
		return err
	})
	if err != nil {
		return SubjectSchema{}, err
	}
	out := SubjectSchema{Subject: subject, Version: md.Version, Schema: s}
	out.ID = md.ID
	if out.Version == 0 {
		// Older registries answer with the id only.
		_ = r.call(ctx, "register under "+subject, func() (err error) {
			out.Version, err = r.c.GetVersion(subject, infoOf(s), false)
			return err
		})
	}
	return out, nil
}

// CheckCompatibility tells whether s may be registered as the next version
// of subject under the subject's compatibility level. An error wrapping
// ErrNoCompatibilityCheck means the registry cannot tell.
func (r *Registry) CheckCompatibility(ctx context.Context, subject string, s Schema) (bool, error) {
	var ok bool
	err := r.call(ctx, "compatibility of "+subject, func() (err error) {
		ok, err = r.c.TestSubjectCompatibility(subject, infoOf(s))
		return err
	})
	return ok, err
}

func infoOf(s Schema) schemaregistry.SchemaInfo {
	info := schemaregistry.SchemaInfo{Schema: s.Text, SchemaType: s.Type}
	if s.Type == SchemaAvro {
		info.SchemaType = "" // the registry's default; some reject "AVRO"
	}
	for _, ref := range s.References {
		info.References = append(info.References, schemaregistry.Reference{Name: ref.Name, Subject: ref.Subject, Version: ref.Version})
	}
	return info
}

func schemaOf(id int, info schemaregistry.SchemaInfo) Schema {
	s := Schema{ID: id, Type: strings.ToUpper(info.SchemaType), Text: info.Schema}
	if s.Type == "" {
		s.Type = SchemaAvro
	}
	for _, ref := range info.References {
		s.References = append(s.References, SchemaReference{Name: ref.Name, Subject: ref.Subject, Version: ref.Version})
	}
	return s
}

// call runs one client call, bounded by ctx (the client itself takes none),
// and classifies its error.
func (r *Registry) call(ctx context.Context, what string, fn func() error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return r.classify(what, err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// classify gives registry errors a class (ErrUnreachable, ErrAuth) and a
// message naming the registry, its password redacted.
func (r *Registry) classify(what string, err error) error {
	if err == nil {
		return nil
	}
	var auth *authError
	if errors.As(err, &auth) {
		return classErr(ErrAuth, fmt.Errorf("schema registry %s: %s: authentication failed (HTTP %d)", r.name, what, auth.status))
	}
	var re *rest.Error
	if errors.As(err, &re) {
		switch {
		case re.Code == 404 || re.Code/100 == 404:
			return fmt.Errorf("schema registry %s: %s: %w (%s)", r.name, what, ErrSchemaNotFound, re.Message)
		case re.Code == 501 || re.Code/100 == 501:
			return fmt.Errorf("schema registry %s: %s: %w (%s)", r.name, what, ErrNoCompatibilityCheck, re.Message)
		}
		return fmt.Errorf("schema registry %s: %s: %s (error %d)", r.name, what, re.Message, re.Code)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The client's error names the URL; say it once, redacted.
		return classErr(ErrUnreachable, fmt.Errorf("schema registry %s: %s: cannot reach it: %v", r.name, what, redactErr(ue.Err)))
	}
	return fmt.Errorf("schema registry %s: %s: %v", r.name, what, redactErr(err))
}

// authTransport turns 401 and 403 answers into errors, whatever the body
// holds, so refused credentials are told apart from other failures.
type authTransport struct{ base http.RoundTripper }

type authError struct{ status int }

func (e *authError) Error() string { return fmt.Sprintf("HTTP %d", e.status) }

func (t authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		resp.Body.Close()
		return nil, &authError{resp.StatusCode}
	}
	return resp, nil
}

func redactErr(err error) string {
	s := err.Error()
	for _, f := range strings.Fields(s) {
		if r := redactURL(strings.Trim(f, `"':,`)); r != strings.Trim(f, `"':,`) {
			s = strings.ReplaceAll(s, strings.Trim(f, `"':,`), r)
		}
	}
	return s
}

// redactURL hides the password of a URL's user info.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); !ok {
		return raw
	}
	u.User = url.UserPassword(u.User.Username(), "REDACTED")
	return strings.Replace(u.String(), ":REDACTED@", ":[REDACTED]@", 1)
}
