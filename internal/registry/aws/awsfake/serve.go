package awsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// request is one parsed Query API request.
type request struct {
	action string
	form   url.Values
}

// list reads a Query API list: Name.1, Name.2, ...
func (q request) list(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := q.form[name+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// filters reads Filter.N.Name and Filter.N.Value.M.
func (q request) filters() map[string][]string {
	out := map[string][]string{}
	for i := 1; ; i++ {
		name := q.form.Get("Filter." + strconv.Itoa(i) + ".Name")
		if name == "" {
			return out
		}
		out[name] = q.list("Filter." + strconv.Itoa(i) + ".Value")
	}
}

// tags reads Tag.N.Key and Tag.N.Value.
func (q request) tags() map[string]string {
	out := map[string]string{}
	for i := 1; ; i++ {
		k, ok := q.form["Tag."+strconv.Itoa(i)+".Key"]
		if !ok {
			return out
		}
		out[k[0]] = q.form.Get("Tag." + strconv.Itoa(i) + ".Value")
	}
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	time.Sleep(f.Latency)
	body, _ := io.ReadAll(r.Body)
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		f.serveSSM(w, strings.TrimPrefix(target, "AmazonSSM."), body)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || r.Method != http.MethodPost {
		queryError(w, http.StatusBadRequest, "MalformedQueryString", "the fake takes form-encoded POST requests")
		return
	}
	q := request{action: form.Get("Action"), form: form}
	if form.Get("Version") == "2011-01-01" {
		if !f.failing(w, q.action, autoScalingError) {
			f.serveAutoScaling(w, q)
		}
		return
	}
	if f.failing(w, q.action, queryError) {
		return
	}
	handler, ok := map[string]func(http.ResponseWriter, request){
		"DescribeImages": f.describeImages, "CreateTags": f.createTags, "DeleteTags": f.deleteTags,
		"EnableImageDeprecation": f.enableDeprecation, "DisableImageDeprecation": f.disableDeprecation,
		"DisableImage": f.disableImage, "EnableImage": f.enableImage, "DeregisterImage": f.deregister,
		"DeleteSnapshot": f.deleteSnapshot, "DescribeInstances": f.describeInstances, "TerminateInstances": f.terminateInstances,
		"DescribeLaunchTemplates": f.describeTemplates, "DescribeLaunchTemplateVersions": f.describeVersions,
	}[q.action]
	if !ok || form.Get("Version") != "2016-11-15" {
		queryError(w, http.StatusBadRequest, "InvalidAction", "The action "+q.action+" is not valid for this web service.")
		return
	}
	handler(w, q)
}

// failing counts a call and answers with the injected failure, if one is due.
func (f *Fake) failing(w http.ResponseWriter, action string, write func(http.ResponseWriter, int, string, string)) bool {
	f.mu.Lock()
	f.calls[action]++
	fl, ok := f.fail[action]
	due := ok && f.calls[action] >= fl.from
	f.mu.Unlock()
	if due {
		write(w, fl.status, fl.code, fmt.Sprintf("%s (call %d)", fl.text, f.Calls()[action]))
	}
	return due
}

// queryError writes an EC2 Query API error document.
func queryError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>fake-request</RequestID></Response>`,
		esc(code), esc(msg))
}

// autoScalingError writes an Auto Scaling Query API error document.
func autoScalingError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake-request</RequestId></ErrorResponse>`,
		esc(code), esc(msg))
}

// respond writes an EC2 response: <ActionResponse xmlns=...><requestId/>inner</ActionResponse>.
func respond(w http.ResponseWriter, action, inner string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<%sResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake-request</requestId>%s</%sResponse>`,
		action, inner, action)
}

func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// serveSSM answers the SSM JSON API (awsJson1_1).
func (f *Fake) serveSSM(w http.ResponseWriter, op string, body []byte) {
	if f.failing(w, op, jsonError) {
		return
	}
	var in struct {
		Name, Value, Description, DataType, Type, NextToken string
		Overwrite                                           bool
		MaxResults                                          int
	}
	if err := json.Unmarshal(body, &in); err != nil {
		jsonError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.params[in.Name]
	switch op {
	case "PutParameter":
		if len(h) > 0 && !in.Overwrite {
			jsonError(w, http.StatusBadRequest, "ParameterAlreadyExists", "The parameter already exists.")
			return
		}
		if in.DataType == "aws:ec2:image" && f.images[in.Value] == nil {
			jsonError(w, http.StatusBadRequest, "InvalidParameterValue", "no AMI "+in.Value)
			return
		}
		f.clock = f.clock.Add(time.Minute)
		f.params[in.Name] = append(h, param{value: in.Value, desc: in.Description, at: f.clock})
		writeJSON(w, map[string]any{"Version": len(h) + 1, "Tier": "Standard"})
	case "GetParameter", "GetParameterHistory":
		if len(h) == 0 {
			jsonError(w, http.StatusBadRequest, "ParameterNotFound", "Parameter "+in.Name+" not found.")
			return
		}
		if op == "GetParameter" {
			writeJSON(w, map[string]any{"Parameter": paramJSON(in.Name, h[len(h)-1], len(h))})
			return
		}
		idx := make([]string, len(h))
		for i := range h {
			idx[i] = strconv.Itoa(i)
		}
		items, next := page(idx, in.NextToken, in.MaxResults, 50)
		var list []any
		for _, i := range items {
			n, _ := strconv.Atoi(i)
			list = append(list, paramJSON(in.Name, h[n], n+1))
		}
		out := map[string]any{"Parameters": list}
		if next != "" {
			out["NextToken"] = next
		}
		writeJSON(w, out)
	default:
		jsonError(w, http.StatusBadRequest, "UnknownOperationException", op)
	}
}

func paramJSON(name string, p param, version int) map[string]any {
	return map[string]any{"Name": name, "Type": "String", "Value": p.value, "Version": version, "DataType": "aws:ec2:image",
		"Description": p.desc, "LastModifiedDate": float64(p.at.Unix()), "Labels": []string{}}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func jsonError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
