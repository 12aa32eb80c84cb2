package secrets

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// Engines a Mapping can name.
const (
	EngineKV2     = "kv2"
	EngineKV1     = "kv1"
	EngineDynamic = "dynamic"
)

// selected returns the mappings step receives: those listing it, and those listing none.
func selected(ms []Mapping, step string) []Mapping {
	var out []Mapping
	for _, m := range ms {
		if len(m.Steps) == 0 || slices.Contains(m.Steps, step) {
			if m.Engine == "" {
				m.Engine = EngineKV2
			}
			out = append(out, m)
		}
	}
	return out
}

// check refuses mappings Open could not honour, before anything is fetched.
func check(ms []Mapping, tempDir string) error {
	envs, vars := map[string]bool{}, map[string]bool{}
	for _, m := range ms {
		where := fmt.Sprintf("vault secret %s", m.Path)
		switch {
		case m.Engine != EngineKV2 && m.Engine != EngineKV1 && m.Engine != EngineDynamic:
			return exitcode.New(exitcode.Usage, "%s: unknown engine %q (kv2, kv1, dynamic)", where, m.Engine)
		case strings.Trim(m.Path, "/") == "":
			return exitcode.New(exitcode.Usage, "vault secret for %s: no path", m.Env)
		case m.EnvPrefix == "" && m.Field == "":
			return exitcode.New(exitcode.Usage, "%s: needs a field (or env_prefix for every field)", where)
		case m.Field != "" && m.Env == "" && m.TFVar == "":
			return exitcode.New(exitcode.Usage, "%s: field %s needs an env or a tf_var", where, m.Field)
		case m.File && tempDir == "":
			return exitcode.New(exitcode.Usage, "%s: file: true needs a temp directory", where)
		case m.Engine == EngineKV2 && len(strings.Split(strings.Trim(m.Path, "/"), "/")) < 2:
			return exitcode.New(exitcode.Usage, "%s: a KV v2 path is <mount>/data/<name> or <mount>/<name>", where)
		case len(m.Params) > 0 && m.Engine != EngineDynamic:
			return exitcode.New(exitcode.Usage, "%s: params are for dynamic secrets only", where)
		}
		if err := claim(envs, m.Env, where); err != nil {
			return err
		}
		if err := claim(vars, m.TFVar, where); err != nil {
			return err
		}
	}
	return nil
}

// claim records that name is set, refusing a name set twice.
func claim(seen map[string]bool, name, where string) error {
	if name != "" && seen[name] {
		return exitcode.New(exitcode.Usage, "%s: %s is set by another vault secret too", where, name)
	}
	seen[name] = true
	return nil
}

// kv2Path returns the API path of a KV v2 secret: "kv/x" becomes "kv/data/x".
func kv2Path(p string) string {
	p = strings.Trim(p, "/")
	parts := strings.SplitN(p, "/", 2)
	if len(parts) < 2 || strings.HasPrefix(parts[1], "data/") {
		return p
	}
	return parts[0] + "/data/" + parts[1]
}

// read returns the fields of the secret m names, recording a dynamic secret's lease.
func (s *Session) read(ctx context.Context, m Mapping) (string, map[string]any, error) {
	path := strings.Trim(m.Path, "/")
	if m.Engine == EngineKV2 {
		path = kv2Path(path)
	}
	op := "read " + path
	logical := s.client.api.Logical()
	var sec *api.Secret
	var err error
	if len(m.Params) > 0 {
		op = "write " + path
		body := map[string]any{}
		for k, v := range m.Params {
			body[k] = v
		}
		sec, err = logical.WriteWithContext(ctx, path, body)
	} else {
		sec, err = logical.ReadWithContext(ctx, path)
	}
	if err != nil {
		return path, nil, s.client.fail(ctx, opRead, op, err)
	}
	if sec != nil && sec.LeaseID != "" {
		s.leases = append(s.leases, sec.LeaseID)
		s.keepLeaseAlive(sec)
	}
	data := map[string]any(nil)
	if sec != nil {
		data = sec.Data
	}
	if m.Engine == EngineKV2 && data != nil {
		data, _ = data["data"].(map[string]any) // nil for a deleted version
	}
	if data == nil {
		return path, nil, exitcode.New(exitcode.Usage, "vault: %s: no secret there", op)
	}
	return path, data, nil
}

// fetch reads the secret m names and hands its fields over as m says.
func (s *Session) fetch(ctx context.Context, m Mapping) error {
	path, data, err := s.read(ctx, m)
	if err != nil {
		return err
	}
	if m.EnvPrefix != "" {
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := s.put(path, envName(m.EnvPrefix, k), "", stringify(data[k]), m.File); err != nil {
				return err
			}
		}
	}
	if m.Field == "" {
		return nil
	}
	v, ok := data[m.Field]
	if !ok {
		return exitcode.New(exitcode.Usage, "vault: read %s: no field %q (fields: %s)", path, m.Field, fieldNames(data))
	}
	return s.put(path, m.Env, m.TFVar, stringify(v), m.File)
}

// put hands one value over: to env and tfVar, as a file's path when file is set.
func (s *Session) put(path, env, tfVar, value string, file bool) error {
	s.Values = append(s.Values, value)
	if file {
		p, err := s.writeFile(or(env, tfVar), value)
		if err != nil {
			return fmt.Errorf("vault: %s: %w", path, err)
		}
		value = p
	}
	if env != "" {
		if _, dup := s.Env[env]; dup {
			return exitcode.New(exitcode.Usage, "vault: %s: %s is set by another vault secret too", path, env)
		}
		s.Env[env] = value
	}
	if tfVar != "" {
		s.TFVars[tfVar] = value
	}
	return nil
}

// envName is prefix + field in upper case, with every character outside [A-Z0-9_] as "_".
func envName(prefix, field string) string {
	return prefix + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			return r
		}
		return '_'
	}, field)
}

// stringify renders a field's value: strings as they are, other JSON values as JSON.
func stringify(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func fieldNames(data map[string]any) string {
	names := make([]string, 0, len(data))
	for k := range data {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
