package publish

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/record"
)

func out(raw string) record.Output { return record.Output{Value: json.RawMessage(raw)} }

func TestOutputVars(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		outs map[string]record.Output
		want map[string]string
	}{
		{"string", "dev", map[string]record.Output{"address": out(`"127.0.0.1:8080"`)},
			map[string]string{"KILN_OUTPUT_DEV_ADDRESS": "127.0.0.1:8080"}},
		{"numbers as Terraform wrote them", "dev", map[string]record.Output{
			"port": out(`8080`), "max": out(`1000000`), "ratio": out(`0.25`), "big": out(`12345678901234567890`), "neg": out(`-3`)},
			map[string]string{"KILN_OUTPUT_DEV_PORT": "8080", "KILN_OUTPUT_DEV_MAX": "1000000", "KILN_OUTPUT_DEV_RATIO": "0.25",
				"KILN_OUTPUT_DEV_BIG": "12345678901234567890", "KILN_OUTPUT_DEV_NEG": "-3"}},
		{"bools", "dev", map[string]record.Output{"public": out(`true`), "ha": out(`false`)},
			map[string]string{"KILN_OUTPUT_DEV_PUBLIC": "true", "KILN_OUTPUT_DEV_HA": "false"}},
		{"sensitive skipped", "dev", map[string]record.Output{"token": {Sensitive: true}, "password": {Value: json.RawMessage(`"x"`), Sensitive: true}},
			map[string]string{}},
		{"lists, maps and null skipped", "dev", map[string]record.Output{
			"ports": out(`[8080, 22]`), "tags": out(`{"team": "web"}`), "nothing": out(`null`), "empty": {}},
			map[string]string{}},
		{"names upper-cased with the environment", "prod-eu", map[string]record.Output{"ssh-address": out(`"h:22"`), "Web.URL": out(`"u"`)},
			map[string]string{"KILN_OUTPUT_PROD_EU_SSH_ADDRESS": "h:22", "KILN_OUTPUT_PROD_EU_WEB_URL": "u"}},
		{"values kiln.env cannot carry skipped", "dev", map[string]record.Output{
			"multi": out(`"a\nb"`), "dollar": out(`"$HOME"`), "quote": out(`"a\"b"`), "space": out(`" padded "`),
			"unicode": out(`"caf\u00e9"`), "backslash": out(`"C:\\x"`), "ok": out(`"fine-value_1.2"`)},
			map[string]string{"KILN_OUTPUT_DEV_OK": "fine-value_1.2"}},
		{"empty string kept", "dev", map[string]record.Output{"note": out(`""`)}, map[string]string{"KILN_OUTPUT_DEV_NOTE": ""}},
		{"invalid JSON skipped", "dev", map[string]record.Output{"bad": out(`{`)}, map[string]string{}},
		{"no outputs", "dev", nil, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := OutputVars(tc.env, tc.outs)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("OutputVars =\n%v\nwant\n%v", got, tc.want)
			}
			for k, v := range got {
				if err := record.CheckDotenvKey(k); err != nil {
					t.Errorf("key %s: %v", k, err)
				}
				if err := record.CheckDotenvValue(k, v); err != nil {
					t.Errorf("value of %s: %v", k, err)
				}
			}
		})
	}
}

// TestRecordOutputsOrder: the most recent deployment's outputs come first, so that when
// kiln.env cannot hold them all the environment just promoted to keeps its own.
func TestRecordOutputsOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	rec := &record.Record{Deployments: []record.Deployment{
		{Environment: "dev", At: t0, Outputs: map[string]record.Output{"b": out(`"1"`), "a": out(`"2"`)}},
		{Environment: "prod", At: t0.Add(time.Hour), Outputs: map[string]record.Output{"url": out(`"http://p/"`)}},
	}}
	var keys []string
	for _, v := range RecordOutputs(rec) {
		keys = append(keys, v.Key)
	}
	if got := strings.Join(keys, " "); got != "KILN_OUTPUT_PROD_URL KILN_OUTPUT_DEV_A KILN_OUTPUT_DEV_B" {
		t.Errorf("order: %s", got)
	}
}
