package publish

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/kiln-ci/kiln/internal/record"
)

var outputName = regexp.MustCompile(`[^A-Z0-9_]`)

// OutputVars turns an environment's non-sensitive string, number and bool outputs into
// KILN_OUTPUT_<ENV>_<NAME> variables whose values kiln.env can carry; other outputs stay in
// the record only.
func OutputVars(env string, outs map[string]record.Output) map[string]string {
	vars := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(outs)) {
		o := outs[k]
		if o.Sensitive || len(o.Value) == 0 {
			continue
		}
		// json.Number keeps a number as Terraform wrote it: through float64, 1000000
		// would become 1e+06.
		dec := json.NewDecoder(bytes.NewReader(o.Value))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			continue
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case json.Number:
			s = x.String()
		case bool:
			s = fmt.Sprint(x)
		default:
			continue
		}
		key := "KILN_OUTPUT_" + outputName.ReplaceAllString(strings.ToUpper(env+"_"+k), "_")
		if record.CheckDotenvValue(key, s) == nil {
			vars[key] = s
		}
	}
	return vars
}
