package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"strings"
)

// schemaError says that a record is of another schema, or of none.
func schemaError(got string) error {
	if got == "" {
		return fmt.Errorf("no schema (want %s)", Schema)
	}
	return fmt.Errorf("schema %q is not supported (this kiln reads %s)", got, Schema)
}

// jsonError turns an encoding/json error into one line with the byte offset.
func jsonError(err error, size int) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("unexpected end of JSON input at byte %d", size)
	case errors.As(err, &syn):
		return fmt.Errorf("%s at byte %d", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the record"
		}
		return fmt.Errorf("%s: want %s, found %s at byte %d", field, jsonKind(typ.Type), typ.Value, typ.Offset)
	}
	if after, ok := strings.CutPrefix(err.Error(), "json: "); ok {
		return errors.New(after)
	}
	return fmt.Errorf("invalid value: %w", err)
}

// jsonKind names what JSON value a Go type takes.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

// bare strips the operation and path from a *fs.PathError, which the caller names itself.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
