// Package config resolves kx's connection settings: global flags, KX_*
// environment variables, the active profile of the config file, then
// defaults, in that order of precedence. One viper instance per run.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Compressions are the codecs kx's producers may use (--compression, a
// profile's compression); none is the default, as in librdkafka and Java.
var Compressions = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// DefaultBrokers is used when neither flag, env nor profile name brokers.
// 127.0.0.1 rather than localhost: the embedded broker listens on IPv4 only.
const DefaultBrokers = "127.0.0.1:9092"

// DefaultTimeout bounds how long a command waits for the cluster.
const DefaultTimeout = 10 * time.Second

// File is the config file (~/.config/kx/config.yaml).
type File struct {
	CurrentProfile string             `mapstructure:"current-profile" yaml:"current-profile,omitempty"`
	Profiles       map[string]Profile `mapstructure:"profiles" yaml:"profiles,omitempty"`
	// Flows are named business flows for kx trace and kx flow (--flow
	// NAME). Names are case-insensitive (stored lower-case).
	Flows map[string]Flow `mapstructure:"flows" yaml:"flows,omitempty"`
}

// Flow is a named business flow: the topics a traced id goes through, in
// the order their stages happen, and how records tie to it.
type Flow struct {
	Description string `mapstructure:"description" yaml:"description,omitempty"`
	// Field is the traced id, a jq path (orderId, .user.id).
	Field string `mapstructure:"field" yaml:"field"`
	// Errors are the status values that mean a step failed (default:
	// ERROR, FAILED, FAILURE, REJECTED, CANCELLED, PAYMENT_FAILED,
	// OUT_OF_STOCK).
	Errors []string    `mapstructure:"errors" yaml:"errors,omitempty"`
	Stages []FlowStage `mapstructure:"stages" yaml:"stages"`
}

// FlowStage is one topic of a flow. The first stage starts the flow.
type FlowStage struct {
	Topic string `mapstructure:"topic" yaml:"topic"`
	// Name labels the stage (default: the topic).
	Name string `mapstructure:"name" yaml:"name,omitempty"`
	// Key is the id the record key holds, for partition pruning.
	Key string `mapstructure:"key" yaml:"key,omitempty"`
	// Match are the ids (jq paths) that tie a record to the trace
	// (default: the flow's field).
	Match []string `mapstructure:"match" yaml:"match,omitempty"`
	// Learn are ids read from matched records, "NAME=PATH" or "PATH"
	// (named after its last field): shipmentId=.shipment.id, .customerId.
	Learn []string `mapstructure:"learn" yaml:"learn,omitempty"`
	// Status is the path of the field shown as the event (default .status).
	Status   string `mapstructure:"status" yaml:"status,omitempty"`
	Optional bool   `mapstructure:"optional" yaml:"optional,omitempty"`
}

// Profile is one named cluster connection.
type Profile struct {
	Brokers          string            `mapstructure:"brokers" yaml:"brokers,omitempty"`
	SecurityProtocol string            `mapstructure:"security-protocol" yaml:"security-protocol,omitempty"`
	SASL             SASL              `mapstructure:"sasl" yaml:"sasl,omitempty"`
	TLS              TLS               `mapstructure:"tls" yaml:"tls,omitempty"`
	Timeout          time.Duration     `mapstructure:"timeout" yaml:"timeout,omitempty"`
	Properties       map[string]string `mapstructure:"properties" yaml:"properties,omitempty"`
	SchemaRegistry   SchemaRegistry    `mapstructure:"schema_registry" yaml:"schema_registry,omitempty"`
	// Compression is the codec kx produce and kx play use by default
	// (none|gzip|snappy|lz4|zstd; none when unset).
	Compression string `mapstructure:"compression" yaml:"compression,omitempty"`
}

// SchemaRegistry is the profile's Confluent-compatible Schema Registry.
// Basic auth takes the password like SASL does (file, environment variable
// or, with a warning, the file itself); a bearer token likewise.
type SchemaRegistry struct {
	URL          string `mapstructure:"url" yaml:"url,omitempty"`
	Username     string `mapstructure:"username" yaml:"username,omitempty"`
	Password     string `mapstructure:"password" yaml:"password,omitempty"`
	PasswordFile string `mapstructure:"password-file" yaml:"password-file,omitempty"`
	PasswordEnv  string `mapstructure:"password-env" yaml:"password-env,omitempty"`
	Token        string `mapstructure:"token" yaml:"token,omitempty"`
	TokenFile    string `mapstructure:"token-file" yaml:"token-file,omitempty"`
	TokenEnv     string `mapstructure:"token-env" yaml:"token-env,omitempty"`
	CAFile       string `mapstructure:"ca-file" yaml:"ca-file,omitempty"`
}

// SASL settings. The password comes from a file, an environment variable,
// or (with a warning when the file is readable by others) the file itself.
type SASL struct {
	Mechanism    string `mapstructure:"mechanism" yaml:"mechanism,omitempty"`
	Username     string `mapstructure:"username" yaml:"username,omitempty"`
	Password     string `mapstructure:"password" yaml:"password,omitempty"`
	PasswordFile string `mapstructure:"password-file" yaml:"password-file,omitempty"`
	PasswordEnv  string `mapstructure:"password-env" yaml:"password-env,omitempty"`
}

// TLS settings.
type TLS struct {
	Enabled            bool   `mapstructure:"enabled" yaml:"enabled,omitempty"`
	CAFile             string `mapstructure:"ca-file" yaml:"ca-file,omitempty"`
	CertFile           string `mapstructure:"cert-file" yaml:"cert-file,omitempty"`
	KeyFile            string `mapstructure:"key-file" yaml:"key-file,omitempty"`
	KeyPasswordEnv     string `mapstructure:"key-password-env" yaml:"key-password-env,omitempty"`
	InsecureSkipVerify bool   `mapstructure:"insecure-skip-verify" yaml:"insecure-skip-verify,omitempty"`
}

// Flags are the global flags, bound by the root command.
type Flags struct {
	Brokers    string
	Profile    string
	ConfigFile string
	Properties []string
	Timeout    time.Duration
	// SchemaRegistry is the --schema-registry URL.
	SchemaRegistry string
	NoColor        bool
	Verbose        bool
}

// Resolved is the effective configuration of one run.
type Resolved struct {
	ConfigFile string            `json:"config_file"`
	Profile    string            `json:"profile"`
	Brokers    []string          `json:"brokers"`
	Timeout    time.Duration     `json:"-"`
	Properties map[string]string `json:"properties"`
	// Compression is the profile's producer codec; "" is none.
	Compression string `json:"compression,omitempty"`
	// Sources tells where brokers came from: flag, env, profile or default.
	BrokersSource string `json:"brokers_source"`
	// Flows are the config file's named flows, by lower-case name.
	Flows map[string]Flow `json:"-"`
	// Registry is the Schema Registry; its URL is empty when none is set.
	Registry Registry `json:"-"`
	// Secrets are values that must never be printed.
	Secrets  []string `json:"-"`
	Warnings []string `json:"-"`
}

// Registry is the resolved Schema Registry connection. Password and Token
// are secrets: Redacted shows what may be printed.
type Registry struct {
	URL      string
	Source   string // flag --schema-registry, env KX_SCHEMA_REGISTRY, profile NAME
	Username string
	Password string
	Token    string
	CAFile   string
}

// Redacted is the registry as it may be shown: the URL without any
// password it embeds, and which kind of credentials are set.
func (g Registry) Redacted() string {
	if g.URL == "" {
		return ""
	}
	s := RedactURL(g.URL)
	switch {
	case g.Token != "":
		s += " (bearer token [REDACTED])"
	case g.Username != "":
		s += " (user " + g.Username + ", password [REDACTED])"
	}
	return s
}

// RedactURL replaces the password of a URL's user info with [REDACTED].
// Text that does not parse as a URL with user info is returned as it is.
func RedactURL(raw string) string {
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

// DefaultPath is $XDG_CONFIG_HOME/kx/config.yaml, else ~/.config/kx/config.yaml.
func DefaultPath() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "kx", "config.yaml")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".config", "kx", "config.yaml")
	}
	return filepath.Join(home, ".config", "kx", "config.yaml")
}

// Load reads the config file at path. A missing file is an empty config
// unless mustExist (the user named it with --config).
func Load(path string, mustExist bool) (*File, error) {
	f := &File{}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) && !mustExist {
			return f, nil
		}
		return nil, errorf("config %s: %w", path, err)
	}
	// "::" as key delimiter keeps librdkafka property names like
	// "fetch.max.bytes" as they are instead of nesting them.
	v := viper.NewWithOptions(viper.KeyDelimiter("::"))
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		return nil, fileError(path, err)
	}
	if err := v.UnmarshalExact(f); err != nil {
		return nil, fileError(path, err)
	}
	if err := checkUnits(path, f); err != nil {
		return nil, err
	}
	return f, nil
}

// Resolve computes the effective configuration. flagSet tells which flags the
// user set; getenv reads the environment (os.Getenv outside tests).
func Resolve(flags *Flags, flagSet *pflag.FlagSet, getenv func(string) string) (*Resolved, error) {
	in := sources{flags: flags, flagSet: flagSet, getenv: getenv}
	path, mustExist := in.configPath()
	file, err := Load(path, mustExist)
	if err != nil {
		return nil, err
	}
	r := &Resolved{ConfigFile: path, Properties: map[string]string{}, Flows: file.Flows}
	prof, err := r.selectProfile(file, in)
	if err != nil {
		return nil, err
	}
	if err := r.resolveConnection(prof, in); err != nil {
		return nil, err
	}
	if err := r.applyProfile(prof, getenv); err != nil {
		return nil, err
	}
	if err := r.resolveRegistry(prof.SchemaRegistry, r.Profile, flags, in.changed, getenv); err != nil {
		return nil, err
	}
	if what := inlineSecret(prof); what != "" {
		if w := worldReadable(path, what); w != "" {
			r.Warnings = append(r.Warnings, w)
		}
	}
	if err := r.applyProperties(flags.Properties, getenv); err != nil {
		return nil, err
	}
	return r, nil
}

// sources are where settings come from besides the config file: the
// flags the user set and the environment.
type sources struct {
	flags   *Flags
	flagSet *pflag.FlagSet
	getenv  func(string) string
}

// changed reports whether the user set the flag.
func (s sources) changed(name string) bool {
	f := s.flagSet.Lookup(name)
	return f != nil && f.Changed
}

// env reads KX_<KEY>.
func (s sources) env(key string) string { return s.getenv("KX_" + strings.ToUpper(key)) }

// configPath is the config file: --config, KX_CONFIG (both must exist),
// else the default path.
func (s sources) configPath() (path string, mustExist bool) {
	if s.changed("config") {
		return s.flags.ConfigFile, true
	}
	if p := s.env("config"); p != "" {
		return p, true
	}
	return DefaultPath(), false
}

// selectProfile picks the profile (--profile, KX_PROFILE, the file's
// current-profile) and sets r.Profile; no profile is the zero Profile.
func (r *Resolved) selectProfile(file *File, in sources) (Profile, error) {
	name := file.CurrentProfile
	if in.changed("profile") {
		name = in.flags.Profile
	} else if p := in.env("profile"); p != "" {
		name = p
	}
	if name == "" {
		return Profile{}, nil
	}
	p, ok := file.Profiles[strings.ToLower(name)]
	if !ok {
		return Profile{}, errorf("profile %q not found in %s (profiles: %s)", name, r.ConfigFile, strings.Join(ProfileNames(file), ", "))
	}
	r.Profile = name
	return p, nil
}

// resolveConnection sets the brokers (and where they came from) and the
// timeout. Precedence through viper: defaults < profile < env < flags.
func (r *Resolved) resolveConnection(prof Profile, in sources) error {
	v := viper.NewWithOptions(viper.KeyDelimiter("::"))
	v.SetEnvPrefix("KX")
	for _, key := range []string{"brokers", "profile", "config", "timeout"} {
		_ = v.BindEnv(key)
	}
	// viper's env lookup reads os.Getenv; tests pass their own getenv.
	v.SetDefault("brokers", DefaultBrokers)
	v.SetDefault("timeout", DefaultTimeout)
	r.BrokersSource = "default"
	if prof.Brokers != "" {
		v.SetDefault("brokers", prof.Brokers)
		r.BrokersSource = "profile " + r.Profile
	}
	if prof.Timeout > 0 {
		v.SetDefault("timeout", prof.Timeout)
	}
	if e := in.env("brokers"); e != "" {
		v.Set("brokers", e)
		r.BrokersSource = "env KX_BROKERS"
	}
	if e := in.env("timeout"); e != "" {
		d, err := time.ParseDuration(e)
		if err != nil {
			return errorf("KX_TIMEOUT %q: %w", e, err)
		}
		v.Set("timeout", d)
	}
	if in.changed("brokers") {
		v.Set("brokers", in.flags.Brokers)
		r.BrokersSource = "flag --brokers"
	}
	if in.changed("timeout") {
		v.Set("timeout", in.flags.Timeout)
	}
	for _, b := range strings.Split(v.GetString("brokers"), ",") {
		if b = strings.TrimSpace(b); b != "" {
			r.Brokers = append(r.Brokers, b)
		}
	}
	if len(r.Brokers) == 0 {
		return errorf("no brokers given (--brokers, KX_BROKERS or a profile)")
	}
	r.Timeout = v.GetDuration("timeout")
	if r.Timeout <= 0 {
		return errorf("--timeout must be positive")
	}
	return nil
}

// applyProperties adds the -X properties and the KX_SASL_* variables over
// the profile's, and collects every secret value for redaction.
func (r *Resolved) applyProperties(props []string, getenv func(string) string) error {
	for _, kv := range props {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return errorf("-X %q: want key=value", kv)
		}
		k = strings.TrimSpace(k)
		r.Properties[k] = val
		if IsSecretKey(k) {
			r.Secrets = append(r.Secrets, val)
			r.Warnings = append(r.Warnings, fmt.Sprintf("-X %s on the command line is visible to other users in the process list; prefer password-file or password-env in a profile, or KX_SASL_PASSWORD", k))
		}
	}
	if p := getenv("KX_SASL_PASSWORD"); p != "" {
		r.Properties["sasl.password"] = p
		r.Secrets = append(r.Secrets, p)
	}
	if u := getenv("KX_SASL_USERNAME"); u != "" {
		r.Properties["sasl.username"] = u
	}
	for k, val := range r.Properties {
		if IsSecretKey(k) && val != "" {
			r.Secrets = append(r.Secrets, val)
		}
	}
	return nil
}

func (r *Resolved) applyProfile(p Profile, getenv func(string) string) error {
	set := func(k, v string) {
		if v != "" {
			r.Properties[k] = v
		}
	}
	set("security.protocol", p.SecurityProtocol)
	if c := strings.ToLower(p.Compression); c != "" {
		if !slices.Contains(Compressions, c) {
			return errorf("profile compression %q: must be one of %s", p.Compression, strings.Join(Compressions, "|"))
		}
		r.Compression = c
	}
	if p.SASL.Mechanism != "" {
		set("sasl.mechanisms", strings.ToUpper(p.SASL.Mechanism))
		set("sasl.username", p.SASL.Username)
		pw, err := p.SASL.password(getenv)
		if err != nil {
			return err
		}
		set("sasl.password", pw)
		if p.SecurityProtocol == "" {
			if p.TLS.Enabled || p.TLS.CAFile != "" {
				set("security.protocol", "SASL_SSL")
			} else {
				set("security.protocol", "SASL_PLAINTEXT")
			}
		}
	} else if p.SecurityProtocol == "" && (p.TLS.Enabled || p.TLS.CAFile != "") {
		set("security.protocol", "SSL")
	}
	set("ssl.ca.location", p.TLS.CAFile)
	set("ssl.certificate.location", p.TLS.CertFile)
	set("ssl.key.location", p.TLS.KeyFile)
	if p.TLS.KeyPasswordEnv != "" {
		set("ssl.key.password", getenv(p.TLS.KeyPasswordEnv))
	}
	if p.TLS.InsecureSkipVerify {
		set("enable.ssl.certificate.verification", "false")
	}
	for k, v := range p.Properties {
		r.Properties[k] = v
	}
	return nil
}

// resolveRegistry sets r.Registry: the URL from flag > env > profile, the
// credentials from the profile (or the URL's own user info).
func (r *Resolved) resolveRegistry(p SchemaRegistry, profileName string, flags *Flags, changed func(string) bool, getenv func(string) string) error {
	g := Registry{URL: p.URL, Source: "profile " + profileName}
	if e := getenv("KX_SCHEMA_REGISTRY"); e != "" {
		g.URL, g.Source = e, "env KX_SCHEMA_REGISTRY"
	}
	if changed("schema-registry") {
		g.URL, g.Source = flags.SchemaRegistry, "flag --schema-registry"
	}
	g.URL = strings.TrimSpace(g.URL)
	if g.URL == "" {
		return nil
	}
	u, err := url.Parse(g.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errorf("schema registry %q (%s): want an http:// or https:// URL", RedactURL(g.URL), g.Source)
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		r.Secrets = append(r.Secrets, pw)
	}
	g.Username, g.CAFile = p.Username, p.CAFile
	secret := func(what, inline, file, env string) (string, error) {
		switch {
		case file != "":
			b, err := os.ReadFile(file)
			if err != nil {
				return "", errorf("schema_registry %s-file: %w", what, err)
			}
			return strings.TrimRight(string(b), "\r\n"), nil
		case env != "":
			v := getenv(env)
			if v == "" {
				return "", errorf("schema_registry %s-env: $%s is empty or unset", what, env)
			}
			return v, nil
		}
		return inline, nil
	}
	if g.Password, err = secret("password", p.Password, p.PasswordFile, p.PasswordEnv); err != nil {
		return err
	}
	if g.Token, err = secret("token", p.Token, p.TokenFile, p.TokenEnv); err != nil {
		return err
	}
	if g.Token != "" && g.Username != "" {
		return errorf("schema_registry: set either username/password or a token, not both")
	}
	for _, s := range []string{g.Password, g.Token} {
		if s != "" {
			r.Secrets = append(r.Secrets, s)
		}
	}
	r.Registry = g
	return nil
}

func (s SASL) password(getenv func(string) string) (string, error) {
	switch {
	case s.PasswordFile != "":
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return "", errorf("sasl password-file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	case s.PasswordEnv != "":
		pw := getenv(s.PasswordEnv)
		if pw == "" {
			return "", errorf("sasl password-env: $%s is empty or unset", s.PasswordEnv)
		}
		return pw, nil
	}
	return s.Password, nil
}

// inlineSecret names the first secret a profile holds in the file itself
// (sasl.password, a registry password or token, a secret librdkafka
// property per IsSecretKey), "" when none.
func inlineSecret(p Profile) string {
	switch {
	case p.SASL.Password != "":
		return "sasl.password"
	case p.SchemaRegistry.Password != "":
		return "schema_registry.password"
	case p.SchemaRegistry.Token != "":
		return "schema_registry.token"
	}
	keys := make([]string, 0, len(p.Properties))
	for k, v := range p.Properties {
		if IsSecretKey(k) && v != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	slices.Sort(keys)
	return "properties." + keys[0]
}

func worldReadable(path, what string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	if st.Mode().Perm()&0o044 != 0 {
		return fmt.Sprintf("%s holds a secret (%s) and is readable by other users (mode %04o); run: chmod 600 %s", path, what, st.Mode().Perm(), path)
	}
	return ""
}

// IsSecretKey reports whether a librdkafka property holds a secret.
func IsSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"password", "secret", "sasl.oauthbearer.config", "ssl.key.pem", "ssl_key", "sasl.jaas", "token"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// Redacted returns the properties with every secret replaced.
func (r *Resolved) Redacted() map[string]string {
	out := make(map[string]string, len(r.Properties))
	for k, v := range r.Properties {
		if IsSecretKey(k) {
			v = "[REDACTED]"
		}
		out[k] = v
	}
	return out
}

// FlowNames lists the named flows, sorted.
func (r *Resolved) FlowNames() []string {
	names := make([]string, 0, len(r.Flows))
	for n := range r.Flows {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ProfileNames lists the profiles of f, sorted.
func ProfileNames(f *File) []string {
	names := make([]string, 0, len(f.Profiles))
	for n := range f.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
