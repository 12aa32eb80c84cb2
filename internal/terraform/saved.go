package terraform

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// SavedPlan is what kiln reads of a saved plan file (terraform plan -out: a zip) without
// running Terraform: the state it was planned against (the prior state snapshot Terraform
// itself compares before it applies), the configuration snapshot it applies, and its
// dependency lock. Format of Terraform 1.x: internal/plans/planfile in Terraform's source.
type SavedPlan struct {
	// Lineage and Serial are those of the state the plan was made against; "" and 0 when
	// there was no state.
	Lineage string
	Serial  int64
	modules []snapshotModule
	lock    []byte // .terraform.lock.hcl as planned; nil when the plan has none
}

type snapshotModule struct {
	Key    string            `json:"Key"`
	Source string            `json:"Source"`
	Dir    string            `json:"Dir"`
	files  map[string][]byte // by file name
}

// maxPlanEntry bounds one decompressed entry of a plan file.
const maxPlanEntry = 256 << 20

// ReadSavedPlan reads a plan file's prior state, configuration snapshot and lock.
func ReadSavedPlan(data []byte) (*SavedPlan, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("read the plan file: not a Terraform plan: %w", err)
	}
	p := &SavedPlan{}
	files := map[string]map[string][]byte{}
	var manifest, state []byte
	for _, f := range zr.File {
		name := f.Name
		want := name == "tfstate" || name == "tfconfig/modules.json" || name == ".terraform.lock.hcl" || strings.HasPrefix(name, "tfconfig/m-")
		if !want || f.FileInfo().IsDir() {
			continue
		}
		b, err := readEntry(f)
		if err != nil {
			return nil, fmt.Errorf("read the plan file: %s: %w", name, err)
		}
		switch {
		case name == "tfstate":
			state = b
		case name == "tfconfig/modules.json":
			manifest = b
		case name == ".terraform.lock.hcl":
			p.lock = b
		default:
			key, file := path.Split(strings.TrimPrefix(name, "tfconfig/m-"))
			key = strings.TrimSuffix(key, "/")
			if files[key] == nil {
				files[key] = map[string][]byte{}
			}
			files[key][file] = b
		}
	}
	if state == nil || manifest == nil {
		return nil, fmt.Errorf("read the plan file: not a Terraform plan (no prior state or configuration snapshot)")
	}
	st, err := decodeState(state)
	if err != nil {
		return nil, fmt.Errorf("read the plan file's prior state: %w", err)
	}
	if st != nil {
		p.Lineage, p.Serial = st.Lineage, st.Serial
	}
	if err := json.Unmarshal(manifest, &p.modules); err != nil {
		return nil, fmt.Errorf("read the plan file's module manifest: %w", err)
	}
	for i := range p.modules {
		p.modules[i].files = files[p.modules[i].Key]
	}
	return p, nil
}

func readEntry(f *zip.File) ([]byte, error) {
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxPlanEntry+1))
	if err == nil && len(b) > maxPlanEntry {
		err = fmt.Errorf("larger than %d bytes", maxPlanEntry)
	}
	return b, err
}

// ConfigChanges compares the plan's configuration snapshot with the configuration in dir:
// the root module and the local modules it calls (source ./ or ../; a registry or git
// module is pinned by the root module's source and version). It lists, sorted, every .tf
// and .tf.json file that changed, was added or was removed ("main.tf changed"); nil when
// they match. A saved plan applies its snapshot, so a change means the plan is not of this
// configuration.
func (p *SavedPlan) ConfigChanges(dir string) ([]string, error) {
	var out []string
	for _, m := range p.modules {
		if m.Key != "" && !strings.HasPrefix(m.Source, "./") && !strings.HasPrefix(m.Source, "../") {
			continue
		}
		mdir := filepath.Join(dir, filepath.FromSlash(m.Dir))
		have, err := configFiles(mdir)
		if err != nil {
			return nil, err
		}
		show := func(name string) string { return path.Join(path.Clean(m.Dir), name) }
		for name, b := range m.files {
			if !isConfigFile(name) {
				continue
			}
			got, ok := have[name]
			switch {
			case !ok:
				out = append(out, show(name)+" removed")
			case !bytes.Equal(got, b):
				out = append(out, show(name)+" changed")
			}
		}
		for name := range have {
			if _, ok := m.files[name]; !ok {
				out = append(out, show(name)+" added")
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// configFiles reads the configuration files Terraform loads from dir (.tf and .tf.json,
// not hidden or editor files); none when dir does not exist.
func configFiles(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("terraform configuration %s: %w", dir, err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !isConfigFile(n) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("terraform configuration: %w", err)
		}
		out[n] = b
	}
	return out, nil
}

// isConfigFile reports whether Terraform loads a file of this name from a module's
// directory: .tf and .tf.json files, less hidden and editor files (configs.IsIgnoredFile).
func isConfigFile(n string) bool {
	ignored := strings.HasPrefix(n, ".") || strings.HasSuffix(n, "~") || strings.HasPrefix(n, "#") && strings.HasSuffix(n, "#")
	return !ignored && (strings.HasSuffix(n, ".tf") || strings.HasSuffix(n, ".tf.json"))
}

// lockEntry matches a provider block of a dependency lock file and its version.
var lockEntry = regexp.MustCompile(`(?s)provider\s+"([^"]+)"\s*\{[^}]*?\bversion\s*=\s*"([^"]*)"`)

// LockChanges compares the plan's dependency lock with dir's .terraform.lock.hcl, provider
// by provider ("registry.terraform.io/hashicorp/aws 5.1.0 -> 5.2.0"); nil when they select
// the same providers at the same versions. Terraform refuses a saved plan whose locks differ.
func (p *SavedPlan) LockChanges(dir string) ([]string, error) {
	cur, err := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl"))
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("terraform dependency lock: %w", err)
	}
	planned, now := lockVersions(p.lock), lockVersions(cur)
	var out []string
	for prov, v := range planned {
		switch w, ok := now[prov]; {
		case !ok:
			out = append(out, prov+" "+v+" -> none")
		case w != v:
			out = append(out, prov+" "+v+" -> "+w)
		}
	}
	for prov, w := range now {
		if _, ok := planned[prov]; !ok {
			out = append(out, prov+" none -> "+w)
		}
	}
	sort.Strings(out)
	return out, nil
}

func lockVersions(b []byte) map[string]string {
	out := map[string]string{}
	for _, m := range lockEntry.FindAllSubmatch(b, -1) {
		out[string(m[1])] = string(m[2])
	}
	return out
}

// PlanInfo is what a saved plan sets and changes, as terraform show -json reads it.
type PlanInfo struct {
	// Variables are the values the plan holds for the root module's variables (the image
	// variable among them): a saved plan applies these, whatever the working directory has.
	Variables map[string]any
	// Changes reports whether the plan changes a resource or an output.
	Changes bool
}

// InspectPlan reads a saved plan file with terraform show -json (ShowPlanFile).
func (t *TF) InspectPlan(ctx context.Context, plan string) (PlanInfo, error) {
	t.quiet()
	var p *tfjson.Plan
	err := t.call(ctx, "show", func(ctx context.Context) (err error) {
		p, err = t.tf.ShowPlanFile(ctx, plan)
		return err
	})
	if err != nil {
		return PlanInfo{}, err
	}
	info := PlanInfo{Variables: map[string]any{}}
	if p == nil {
		return info, nil
	}
	for k, v := range p.Variables {
		if v != nil {
			info.Variables[k] = v.Value
		}
	}
	for _, rc := range p.ResourceChanges {
		if rc != nil && rc.Change != nil && !rc.Change.Actions.NoOp() {
			info.Changes = true
		}
	}
	for _, oc := range p.OutputChanges {
		if oc != nil && !oc.Actions.NoOp() {
			info.Changes = true
		}
	}
	return info, nil
}
