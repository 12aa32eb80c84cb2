package step

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// Flag is one option of a step: its command-line flag, its KILN_* environment variable, its
// default and its help text. The flag wins over the variable, the variable over kiln.yaml,
// kiln.yaml over Default.
type Flag struct {
	Name    string // flag name without dashes
	Env     string // KILN_* variable, or "" for none
	Default string // applied when neither flag nor variable is set; "" leaves it to kiln.yaml
	Help    string
	Bool    bool
	// For names the steps whose --help lists the flag (nil: every step); the others accept
	// it but have no use for it.
	For []string
	// More keeps the flag out of --help, for a setting few need (docs/cli.md lists it).
	More bool
}

// Line is the flag's line in --help and docs/cli.md.
func (f Flag) Line() string {
	name := "--" + f.Name
	if !f.Bool {
		name += " VALUE"
	}
	line := fmt.Sprintf("  %-22s %s", name, f.Help)
	if f.Default != "" {
		line += " (default " + f.Default + ")"
	}
	if f.Env != "" {
		line += " [$" + f.Env + "]"
	}
	return line
}

// moreFlags counts the flags kept out of --help as More.
func moreFlags(flags []Flag) int {
	n := 0
	for _, f := range flags {
		if f.More {
			n++
		}
	}
	return n
}

// shownFor reports whether step's --help lists f.
func (f Flag) shownFor(step string) bool {
	if f.More {
		return false
	}
	if f.For == nil {
		return true
	}
	for _, s := range f.For {
		if s == step {
			return true
		}
	}
	return false
}

// Common flags every step takes.
var commonFlags = []Flag{
	{Name: "config", Env: "KILN_CONFIG", Default: "kiln.yaml", Help: "path of kiln.yaml"},
	{Name: "record", Env: "KILN_RECORD", Default: "kiln-image.json", Help: "path of the image record",
		For: []string{"bake", "test", "deploy-dev", "destroy-dev", "promote", "drift", "revoke", "sweep"}},
	{Name: "env-file", Env: "KILN_ENV_FILE", Default: "kiln.env", Help: "the dotenv file for the CI (GitLab dotenv report, Jenkins)",
		For: []string{"bake", "test", "deploy-dev", "promote"}},
	{Name: "terraform", Env: "KILN_TERRAFORM", Help: "terraform binary (default: .tools/bin, PATH, a pinned download)",
		For: []string{"validate", "test", "deploy-dev", "destroy-dev", "promote", "rotate", "rollback", "sweep", "revoke", "drift"}},
	{Name: "packer", Env: "KILN_PACKER", Help: "packer binary (default: .tools/bin, PATH, a pinned download)",
		For: []string{"validate", "bake"}},
	{Name: "stop-timeout", Env: "KILN_STOP_TIMEOUT", Default: "60s", Help: "after SIGINT/SIGTERM, how long the child tool gets to stop"},
	{Name: "ttl", Env: "KILN_TTL", Default: "6h", Help: "how long what this run starts may live before kiln-sweep removes it",
		For: []string{"bake", "deploy-dev"}},
}

// CommonEnv lists the variables every step reads besides its flags' (docs/cli.md lists
// them; --help points there).
var CommonEnv = []string{
	"KILN_TOOLS_OFFLINE=1   never download Terraform or Packer; use --terraform/--packer, .tools/bin or PATH",
	"KILN_RELEASES_URL      a mirror of releases.hashicorp.com for the pinned downloads",
	"GITLAB_CI, GITHUB_ACTIONS, JENKINS_URL   select the CI adapter (outputs, masking, log sections)",
	"VAULT_ADDR, VAULT_NAMESPACE, VAULT_CACERT, VAULT_TOKEN   Vault, when kiln.yaml has a vault block",
	"KILN_VAULT_AUTH_METHOD, KILN_VAULT_ROLE, KILN_VAULT_AUDIENCE   override vault.auth's method, role, audience",
}

// exitCodes is --help's one line about exit codes; docs/troubleshooting.md has the table.
const exitCodes = "Exit codes: 0 ok, 1 failed, 2 usage, 3 locked, 4-5 Vault, 6 record, 7 no such image,\n" +
	"8 refused, 9 drift, 130/143 signal: see docs/troubleshooting.md"

// DryRun is the --dry-run flag of the steps that change something.
var DryRun = Flag{Name: "dry-run", Env: "KILN_DRY_RUN", Bool: true, Help: "show what would change (plan, validate) without changing it"}

// Options holds the resolved value of every flag of a step.
type Options struct {
	values map[string]string
	set    map[string]bool
	source map[string]string // "--name" or the variable a value came from
}

// Given is flag name's value as the user gave it, for messages: `--name "v"` or
// `KILN_NAME="v"`.
func (o Options) Given(name string) string {
	src := o.Source(name)
	if strings.HasPrefix(src, "--") {
		return fmt.Sprintf("%s %q", src, o.values[name])
	}
	return fmt.Sprintf("%s=%q", src, o.values[name])
}

// Source names where flag name's value came from, for messages: "--name", its variable
// (KILN_...), or "--name" too for a default.
func (o Options) Source(name string) string {
	if src := o.source[name]; src != "" {
		return src
	}
	return "--" + name
}

// Get returns the resolved value of flag name ("" when unset and without default).
func (o Options) Get(name string) string { return o.values[name] }

// Bool reports whether a boolean flag is on.
func (o Options) Bool(name string) bool {
	on, _ := parseBool(o.values[name])
	return on
}

// parseBool reads a boolean flag's or variable's value; ok is false for anything else, so
// that a typo such as KILN_DRY_RUN=ture is a usage error rather than a real run.
func parseBool(s string) (on, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	return false, false
}

// IsSet reports whether the flag or its variable was given (rather than the default).
func (o Options) IsSet(name string) bool { return o.set[name] }

// parseFlags resolves flags > KILN_* variables > defaults. It returns done=true when --help
// or --version was asked for and answered.
func parseFlags(binary string, s Step, flags []Flag, args []string, getenv func(string) string, stdout io.Writer) (Options, bool, error) {
	fs := flag.NewFlagSet(binary, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	given := map[string]*string{}
	for _, f := range flags {
		v := new(string)
		given[f.Name] = v
		if f.Bool {
			fs.BoolFunc(f.Name, f.Help, func(s string) error {
				if _, ok := parseBool(s); !ok && s != "" {
					return fmt.Errorf("want true or false")
				}
				*v = s
				return nil
			})
		} else {
			fs.StringVar(v, f.Name, "", f.Help)
		}
	}
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	ver := fs.Bool("version", false, "")
	if len(args) == 1 && args[0] == "help" { // kiln-bake help
		args = []string{"--help"}
	}
	if err := fs.Parse(args); err != nil {
		return Options{}, false, flagError(err, flags)
	}
	if fs.NArg() > 0 {
		return Options{}, false, exitcode.New(exitcode.Usage, "unexpected argument %q (see --help)", fs.Arg(0))
	}
	if *help {
		writeHelp(stdout, binary, s, flags)
		return Options{}, true, nil
	}
	if *ver {
		return Options{values: map[string]string{"version": "true"}}, true, nil
	}
	o := Options{values: map[string]string{}, set: map[string]bool{}, source: map[string]string{}}
	visited := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { visited[f.Name] = true })
	for _, f := range flags {
		switch {
		case visited[f.Name]:
			o.values[f.Name], o.set[f.Name], o.source[f.Name] = *given[f.Name], true, "--"+f.Name
			if f.Bool && o.values[f.Name] == "" {
				o.values[f.Name] = "true"
			}
		case f.Env != "" && getenv(f.Env) != "":
			o.values[f.Name], o.set[f.Name], o.source[f.Name] = getenv(f.Env), true, f.Env
			if _, ok := parseBool(o.values[f.Name]); f.Bool && !ok {
				return Options{}, false, exitcode.New(exitcode.Usage, "%s=%q: want true or false", f.Env, o.values[f.Name])
			}
		default:
			o.values[f.Name] = f.Default
		}
	}
	return o, false, nil
}

func writeHelp(w io.Writer, binary string, s Step, flags []Flag) {
	fmt.Fprintf(w, "Usage: %s [flags]\n\n%s\n\nFlags (a flag wins over its variable, the variable over kiln.yaml):\n", binary, s.Description())
	for _, f := range flags {
		if !f.shownFor(s.Name()) {
			continue
		}
		fmt.Fprintln(w, f.Line())
	}
	if n := moreFlags(flags); n > 0 {
		fmt.Fprintf(w, "  %-22s %d more: see docs/cli.md\n", "...", n)
	}
	fmt.Fprintf(w, "  %-22s %s\n", "--help, --version", "this help; the version and commit")
	fmt.Fprintln(w, "\nEnvironment (Vault, CI and tool variables: see docs/cli.md):")
	for _, e := range s.EnvVars() {
		fmt.Fprintf(w, "  %s\n", e)
	}
	if ex, ok := s.(interface{ Examples() []string }); ok {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range ex.Examples() {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	fmt.Fprintf(w, "\n%s\n", exitCodes)
}

// flagError turns the flag package's error into kiln's one line: an unknown flag is named
// with two dashes, with the closest known flag when one is near.
func flagError(err error, flags []Flag) error {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return exitcode.New(exitcode.Usage, "%v (see --help)", err)
	}
	best, bestDist := "", 3
	for _, f := range append(flags, Flag{Name: "help"}, Flag{Name: "version"}) {
		if d := distance(name, f.Name); d < bestDist || (d == bestDist && best != "" && f.Name < best) {
			best, bestDist = f.Name, d
		}
	}
	if best != "" {
		return exitcode.New(exitcode.Usage, "unknown flag --%s (did you mean --%s?)", name, best)
	}
	return exitcode.New(exitcode.Usage, "unknown flag --%s (see --help)", name)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
