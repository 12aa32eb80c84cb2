package childenv

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

func TestBuild(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inherited []string
		kiln      map[string]string
		secrets   map[string]string
		want      map[string]string
		wantErr   string
	}{
		{name: "precedence: inherited < secrets < kiln",
			inherited: []string{"PATH=/bin", "AWS_ACCESS_KEY_ID=old", "A=b=c", "PKR_VAR_image_name=stale"},
			secrets:   map[string]string{"AWS_ACCESS_KEY_ID": "vault"},
			kiln:      map[string]string{"PKR_VAR_image_name": "web-1"},
			want:      map[string]string{"PATH": "/bin", "AWS_ACCESS_KEY_ID": "vault", "A": "b=c", "PKR_VAR_image_name": "web-1"}},
		{name: "secret named like kiln's setting", secrets: map[string]string{"KILN_IMAGE_ID": "x"},
			kiln: map[string]string{"KILN_IMAGE_ID": "local:sha256:ab"}, wantErr: "vault secret mapped to KILN_IMAGE_ID"},
		{name: "secret named like a reserved variable kiln does not set here",
			secrets: map[string]string{"PKR_VAR_base_image": "x"}, wantErr: "kiln sets PKR_VAR_base_image itself"},
		{name: "reserved prefix", secrets: map[string]string{"TF_HTTP_PASSWORD": "x"}, wantErr: "TF_HTTP_PASSWORD"},
		{name: "TMPDIR", secrets: map[string]string{"TMPDIR": "/x"}, wantErr: "TMPDIR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Build(tc.inherited, tc.kiln, tc.secrets)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || exitcode.Of(err) != exitcode.Usage {
					t.Fatalf("Build = %v, want exit 2 naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Build = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestIsReserved(t *testing.T) {
	for name, want := range map[string]bool{"TF_HTTP_ADDRESS": true, "TF_HTTP": false, "KILN_IMAGE_PATH": true,
		"PKR_VAR_base_image": true, "PKR_VAR_app": false, "AWS_REGION": false, "TMPDIR": true} {
		if IsReserved(name) != want {
			t.Errorf("IsReserved(%s) = %v", name, !want)
		}
	}
}

func TestList(t *testing.T) {
	if got := List(map[string]string{"B": "2", "A": "1=1"}); !reflect.DeepEqual(got, []string{"A=1=1", "B=2"}) {
		t.Fatalf("List = %q", got)
	}
}
