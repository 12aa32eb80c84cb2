package attest

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
)

var (
	predicateType = reflect.TypeFor[Predicate]()
	timeType      = reflect.TypeFor[time.Time]()
)

// checkFields reports the first object key in v that is not, spelled exactly, the JSON
// name of a field of t (encoding/json matches names case-insensitively, so its
// DisallowUnknownFields alone would take "IMAGE_ID" for image_id). Type mismatches are
// left to encoding/json. at is the path of v, for the message.
func checkFields(v *structpb.Value, t reflect.Type, at string) error {
	switch {
	case t == timeType:
		return nil
	case t.Kind() == reflect.Struct && v.GetStructValue() != nil:
		for k, fv := range v.GetStructValue().GetFields() {
			ft, ok := jsonField(t, k)
			if !ok {
				return fmt.Errorf("unknown field %q", at+k)
			}
			if err := checkFields(fv, ft, at+k+"."); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice && v.GetListValue() != nil:
		for i, ev := range v.GetListValue().GetValues() {
			if err := checkFields(ev, t.Elem(), fmt.Sprintf("%s[%d].", strings.TrimSuffix(at, "."), i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonField returns the type of t's field whose JSON name is exactly name.
func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	for f := range t.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && tag == name {
			return f.Type, true
		}
	}
	return nil, false
}
