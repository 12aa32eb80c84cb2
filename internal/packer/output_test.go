package packer

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// run feeds in to a fresh Output in chunks of size n (0: one chunk), flushes it and
// returns the Result and what it wrote to ui.
func run(t *testing.T, in string, n int) (Result, string) {
	t.Helper()
	var ui bytes.Buffer
	o := NewOutput(&ui)
	for _, c := range chunks([]byte(in), n) {
		if k, err := o.Write(c); err != nil || k != len(c) {
			t.Fatalf("Write(%q) = %d, %v", c, k, err)
		}
	}
	if err := o.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	return o.Result(), ui.String()
}

// chunks cuts b into pieces of n bytes; n <= 0 gives b whole.
func chunks(b []byte, n int) [][]byte {
	if n <= 0 || n >= len(b) {
		return [][]byte{b}
	}
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

func TestOutput(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   Result
		wantUI string
	}{
		{
			name:   "empty",
			in:     "",
			want:   Result{},
			wantUI: "",
		},
		{
			name: "file build",
			in: "1700000000,,version,1.9.4\n" +
				"1700000000,,ui,say,==> file.image: Creating file...\n" +
				"1700000001,,ui,say,Build 'file.image' finished after 1 second.\n" +
				`1700000001,,ui,say,\n==> Builds finished. The artifacts of successful builds are:` + "\n" +
				"1700000001,file.image,artifact-count,1\n" +
				"1700000001,file.image,artifact,0,builder-id,packer.file\n" +
				"1700000001,file.image,artifact,0,id,File\n" +
				"1700000001,file.image,artifact,0,string,Stored file: out.txt\n" +
				"1700000001,file.image,artifact,0,files-count,1\n" +
				"1700000001,file.image,artifact,0,file,0,out.txt\n" +
				"1700000001,file.image,artifact,0,end\n" +
				"1700000001,,ui,say,--> file.image: Stored file: out.txt\n",
			want: Result{
				Version:   "1.9.4",
				Artifacts: []Artifact{{Build: "file.image", BuilderID: "packer.file", ID: "File", String: "Stored file: out.txt", Files: []string{"out.txt"}}},
			},
			wantUI: "==> file.image: Creating file...\n" +
				"Build 'file.image' finished after 1 second.\n" +
				"\n==> Builds finished. The artifacts of successful builds are:\n" +
				"--> file.image: Stored file: out.txt\n",
		},
		{
			name: "several builds and artifacts with escapes",
			in: "1,amazon-ebs.web,artifact,0,builder-id,mitchellh.amazonebs\n" +
				"1,amazon-ebs.web,artifact,0,id,us-east-1:ami-0abc%!(PACKER_COMMA)us-west-2:ami-0def\n" +
				`1,amazon-ebs.web,artifact,0,string,AMIs were created:\nus-east-1: ami-0abc\nus-west-2: ami-0def\n` + "\n" +
				"1,amazon-ebs.web,artifact,0,files-count,0\n" +
				"1,amazon-ebs.web,artifact,0,end\n" +
				"1,amazon-ebs.web,artifact,1,builder-id,packer.post-processor.manifest\n" +
				"1,amazon-ebs.web,artifact,1,id,\n" +
				"1,amazon-ebs.web,artifact,1,end\n" +
				"2,googlecompute.web,artifact,0,builder-id,packer.googlecompute\n" +
				"2,googlecompute.web,artifact,0,id,my-image-20260101\n" +
				"2,googlecompute.web,artifact,0,end\n" +
				"2,qemu.base,artifact,0,builder-id,transcend.qemu\n" +
				"2,qemu.base,artifact,0,id,VM\n" +
				"2,qemu.base,artifact,0,files-count,2\n" +
				"2,qemu.base,artifact,0,file,0,out/base%!(PACKER_COMMA)1.qcow2\n" +
				"2,qemu.base,artifact,0,file,1,out/ünïcode.qcow2\n" +
				"2,qemu.base,artifact,0,end\n" +
				"2,null.x,artifact,0,nil\n" +
				"2,null.x,artifact,0,end\n",
			want: Result{Artifacts: []Artifact{
				{Build: "amazon-ebs.web", BuilderID: "mitchellh.amazonebs", ID: "us-east-1:ami-0abc,us-west-2:ami-0def", String: "AMIs were created:\nus-east-1: ami-0abc\nus-west-2: ami-0def\n"},
				{Build: "amazon-ebs.web", Index: 1, BuilderID: "packer.post-processor.manifest"},
				{Build: "googlecompute.web", BuilderID: "packer.googlecompute", ID: "my-image-20260101"},
				{Build: "qemu.base", BuilderID: "transcend.qemu", ID: "VM", Files: []string{"out/base,1.qcow2", "out/ünïcode.qcow2"}},
				{Build: "null.x"},
			}},
		},
		{
			name: "errors",
			in: "3,,ui,error,==> file.bad: Build 'file.bad' errored after 1 second: boom%!(PACKER_COMMA) twice\n" +
				"3,,error-count,1\n" +
				`3,,ui,error,\n==> Some builds didn't complete successfully and had errors:` + "\n" +
				"3,file.bad,error,boom%!(PACKER_COMMA) twice\n" +
				"3,,ui,error,--> file.bad: boom%!(PACKER_COMMA) twice\n",
			want: Result{
				Errors: []string{
					"==> file.bad: Build 'file.bad' errored after 1 second: boom, twice",
					"\n==> Some builds didn't complete successfully and had errors:",
					"--> file.bad: boom, twice",
				},
				BuildErrors: []BuildError{{Build: "file.bad", Message: "boom, twice"}},
				ErrorCount:  1,
			},
			wantUI: "==> file.bad: Build 'file.bad' errored after 1 second: boom, twice\n" +
				"\n==> Some builds didn't complete successfully and had errors:\n" +
				"--> file.bad: boom, twice\n",
		},
		{
			name:   "plain lines pass through and targeted ui lines get a prefix",
			in:     "Error: Failed to initialize build \"file.x\"\r\n9,qemu.base,ui,message,    qemu.base: hello\n9,,ui,say,\nno newline at end",
			want:   Result{},
			wantUI: "Error: Failed to initialize build \"file.x\"\nqemu.base:     qemu.base: hello\n\nno newline at end\n",
		},
		{
			name:   "CRLF line endings",
			in:     "1,,ui,say,one\r\n1,x.y,artifact,0,id,ami-1\r\n1,x.y,artifact,0,file,0,a b.txt\r\n",
			want:   Result{Artifacts: []Artifact{{Build: "x.y", ID: "ami-1", Files: []string{"a b.txt"}}}},
			wantUI: "one\n",
		},
		{
			name: "malformed machine lines are ignored",
			in: "1,x.y,artifact\n1,x.y,artifact,zero,id,ami-1\n1,x.y,artifact,0\n1,,error-count,many\n" +
				"1,,ui\n1,,version\n1,x.y,artifact,0,file\n",
			want: Result{Artifacts: []Artifact{{Build: "x.y"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, n := range []int{0, 1, 2, 3, 7, 64} {
				got, ui := run(t, tt.in, n)
				if !equalResult(got, tt.want) {
					t.Errorf("chunk %d: Result =\n%#v\nwant\n%#v", n, got, tt.want)
				}
				if ui != tt.wantUI {
					t.Errorf("chunk %d: ui =\n%q\nwant\n%q", n, ui, tt.wantUI)
				}
			}
		})
	}
}

// equalResult compares Results, treating nil and empty slices alike.
func equalResult(a, b Result) bool {
	norm := func(r Result) Result {
		if len(r.Artifacts) == 0 {
			r.Artifacts = nil
		}
		if len(r.Errors) == 0 {
			r.Errors = nil
		}
		if len(r.BuildErrors) == 0 {
			r.BuildErrors = nil
		}
		return r
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func TestOutputSplitRune(t *testing.T) {
	in := []byte("1,,ui,say,héllo wörld ✓\n")
	cut := bytes.IndexRune(in, '✓') + 1 // inside the three-byte rune
	var ui bytes.Buffer
	o := NewOutput(&ui)
	o.Write(in[:cut])
	if ui.Len() != 0 {
		t.Fatalf("ui got %q before the line was complete", ui.String())
	}
	o.Write(in[cut:])
	if want := "héllo wörld ✓\n"; ui.String() != want {
		t.Errorf("ui = %q, want %q", ui.String(), want)
	}
}

func TestOutputResultBeforeFlush(t *testing.T) {
	o := NewOutput(nil)
	o.Write([]byte("1,a.b,artifact,0,id,ami-1\n1,a.b,artifact,0,file,0,x"))
	if got := o.Result().Artifacts; len(got) != 1 || len(got[0].Files) != 0 {
		t.Fatalf("before Flush: %#v", got)
	}
	r := o.Result()
	r.Artifacts[0].ID = "changed"
	o.Flush()
	got := o.Result().Artifacts[0]
	if got.ID != "ami-1" || !reflect.DeepEqual(got.Files, []string{"x"}) {
		t.Errorf("after Flush: %#v", got)
	}
}

func TestOutputLongLine(t *testing.T) {
	long := strings.Repeat("x", maxLineBytes+10)
	got1, ui1 := run(t, long+"\n1,,ui,say,after\n", 0)
	got2, ui2 := run(t, long+"\n1,,ui,say,after\n", 4096)
	if !equalResult(got1, got2) || ui1 != ui2 {
		t.Fatal("a long line parses differently depending on chunking")
	}
	if want := long[:maxLineBytes] + "\n" + long[maxLineBytes:] + "\nafter\n"; ui1 != want {
		t.Errorf("ui has %d bytes, want %d", len(ui1), len(want))
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

func TestOutputUIError(t *testing.T) {
	w := &failWriter{}
	o := NewOutput(w)
	if n, err := o.Write([]byte("1,,ui,say,a\n1,,ui,say,b\n1,x.y,artifact,0,id,ami-1\n")); err != nil || n == 0 {
		t.Fatalf("Write = %d, %v; want no error", n, err)
	}
	if err := o.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Flush() = %v, want the ui error", err)
	}
	if w.n != 1 {
		t.Errorf("ui written %d times after failing, want 1", w.n)
	}
	if got := o.Result().Artifacts; len(got) != 1 || got[0].ID != "ami-1" {
		t.Errorf("artifacts = %#v, want them parsed despite the ui error", got)
	}
}
