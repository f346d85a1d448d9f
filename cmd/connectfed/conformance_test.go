package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectfed/connectfed/awsapi"
	"github.com/connectfed/connectfed/internal/testenv"
)

// Wire conformance: every successful AWS API response any test in this
// package provokes is checked against the botocore model's output shape of
// its operation (no member the model lacks, every required member present,
// the right JSON or XML type for each, enum values from the model,
// timestamps as the protocol encodes them: epoch seconds in restJson1,
// ISO 8601 in the query protocol). On a full run (no -run filter) every
// operation awsapi.Operations lists must have been seen at least once, so
// an operation no test drives, or one whose responses drift from the
// model, fails the suite.

var conformance struct {
	sync.Mutex
	seen     map[string]int      // "service:Op" -> successful responses checked
	problems map[string][]string // "service:Op" -> first problems found
}

// botocoreModels are the models by service, loaded once.
var botocoreModels = struct {
	once sync.Once
	m    map[string]*botoModel
	err  error
}{}

type botoShape struct {
	Type            string                `json:"type"`
	Members         map[string]botoMember `json:"members"`
	Required        []string              `json:"required"`
	Member          *botoMember           `json:"member"`
	Key             *botoMember           `json:"key"`
	Value           *botoMember           `json:"value"`
	Enum            []string              `json:"enum"`
	Flattened       bool                  `json:"flattened"`
	TimestampFormat string                `json:"timestampFormat"`
}

type botoMember struct {
	Shape           string `json:"shape"`
	Location        string `json:"location"`
	LocationName    string `json:"locationName"`
	JSONName        string `json:"jsonName"`
	Flattened       bool   `json:"flattened"`
	TimestampFormat string `json:"timestampFormat"`
}

type botoModel struct {
	Metadata struct {
		Protocol        string `json:"protocol"`
		TimestampFormat string `json:"timestampFormat"`
	} `json:"metadata"`
	Operations map[string]struct {
		Output *struct {
			Shape         string `json:"shape"`
			ResultWrapper string `json:"resultWrapper"`
		} `json:"output"`
	} `json:"operations"`
	Shapes map[string]*botoShape `json:"shapes"`
}

var modelVersions = map[string]string{"connect": "2017-08-08", "iam": "2010-05-08", "sts": "2011-06-15"}

// loadModelsPy prints the models as botocore's own Loader finds them: from
// the directories in AWS_DATA_PATH (where .ci/run puts current models for an
// old botocore, scripts/aws-models), ~/.aws/models, then botocore's data,
// so the check uses the models the clients under test use.
const loadModelsPy = `import json, sys, botocore.session
loader = botocore.session.get_session().get_component("data_loader")
json.dump({svc: loader.load_service_model(svc, "service-2", ver) for svc, ver in json.loads(sys.argv[1]).items()}, sys.stdout)`

func loadBotocoreModels() (map[string]*botoModel, error) {
	botocoreModels.once.Do(func() {
		versions, err := json.Marshal(modelVersions)
		if err != nil {
			botocoreModels.err = err
			return
		}
		var stderr bytes.Buffer
		cmd := exec.Command("python3", "-c", loadModelsPy, string(versions))
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			botocoreModels.err = fmt.Errorf("loading the models with botocore (python3 -c 'import botocore'): %v\n%s", err, stderr.String())
			return
		}
		if err := json.Unmarshal(out, &botocoreModels.m); err != nil {
			botocoreModels.err = fmt.Errorf("botocore's models: %v", err)
			return
		}
		for svc := range modelVersions {
			if botocoreModels.m[svc] == nil {
				botocoreModels.err = fmt.Errorf("botocore has no %s model", svc)
				return
			}
		}
	})
	return botocoreModels.m, botocoreModels.err
}

// checkResponse checks one response body against the model.
func checkResponse(service, op string, body []byte) []string {
	models, err := loadBotocoreModels()
	if err != nil {
		return []string{err.Error()}
	}
	m := models[service]
	if m == nil {
		return []string{"no model for service " + service}
	}
	o, ok := m.Operations[op]
	if !ok {
		return []string{"the model has no operation " + op}
	}
	var probs []string
	if m.Metadata.Protocol == "query" {
		probs = checkQueryXML(m, op, o.Output, body)
	} else {
		if o.Output == nil {
			if len(bytes.TrimSpace(body)) > 0 && string(bytes.TrimSpace(body)) != "{}" {
				probs = append(probs, "body sent for an operation with no output: "+truncateStr(string(body), 80))
			}
			return probs
		}
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return []string{"body is not JSON: " + err.Error()}
		}
		checkJSONShape(m, o.Output.Shape, v, op, &probs, true)
	}
	return probs
}

func truncateStr(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func checkJSONShape(m *botoModel, name string, v any, path string, probs *[]string, top bool) {
	s := m.Shapes[name]
	if s == nil {
		*probs = append(*probs, path+": shape "+name+" missing from the model")
		return
	}
	if v == nil {
		*probs = append(*probs, path+": null")
		return
	}
	bad := func(want string) {
		*probs = append(*probs, fmt.Sprintf("%s: want %s (%s), got %T %v", path, want, name, v, truncateStr(fmt.Sprint(v), 60)))
	}
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("object")
			return
		}
		byWire := map[string]string{}
		for mn, mm := range s.Members {
			if mm.Location != "" {
				continue // headers, status codes: never in the body
			}
			wire := mn
			if mm.JSONName != "" {
				wire = mm.JSONName
			}
			byWire[wire] = mn
		}
		for k, val := range obj {
			mn, ok := byWire[k]
			if !ok {
				*probs = append(*probs, fmt.Sprintf("%s: member %q is not in the model's %s", path, k, name))
				continue
			}
			checkJSONShape(m, s.Members[mn].Shape, val, path+"."+k, probs, false)
		}
		for _, r := range s.Required {
			if s.Members[r].Location != "" {
				continue
			}
			if _, ok := obj[r]; !ok {
				*probs = append(*probs, fmt.Sprintf("%s: required member %q missing", path, r))
			}
		}
	case "list":
		arr, ok := v.([]any)
		if !ok {
			bad("array")
			return
		}
		for i, e := range arr {
			checkJSONShape(m, s.Member.Shape, e, path+"["+strconv.Itoa(i)+"]", probs, false)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("object (map)")
			return
		}
		for k, e := range obj {
			checkJSONShape(m, s.Key.Shape, k, path+"{key}", probs, false)
			checkJSONShape(m, s.Value.Shape, e, path+"{"+k+"}", probs, false)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("string")
			return
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			*probs = append(*probs, fmt.Sprintf("%s: %q is not one of %s's values", path, str, name))
		}
	case "integer", "long":
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			bad("integer")
		}
	case "double", "float":
		if _, ok := v.(json.Number); !ok {
			bad("number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("boolean")
		}
	case "timestamp":
		// restJson1 sends epoch seconds unless the shape says otherwise.
		format := s.TimestampFormat
		if format == "" {
			format = m.Metadata.TimestampFormat
		}
		switch format {
		case "", "unixTimestamp":
			if _, ok := v.(json.Number); !ok {
				bad("epoch seconds (number)")
			}
		case "iso8601":
			if str, ok := v.(string); !ok || !isISO8601(str) {
				bad("ISO 8601 string")
			}
		}
	case "blob":
		str, ok := v.(string)
		if _, err := base64.StdEncoding.DecodeString(str); !ok || err != nil {
			bad("base64 string")
		}
	default:
		*probs = append(*probs, path+": unhandled shape type "+s.Type)
	}
}

func isISO8601(s string) bool {
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05Z"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// xmlNode is a parsed XML element.
type xmlNode struct {
	Name     string
	Text     string
	Children []*xmlNode
}

func parseXML(body []byte) (*xmlNode, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{Name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

func checkQueryXML(m *botoModel, op string, out *struct {
	Shape         string `json:"shape"`
	ResultWrapper string `json:"resultWrapper"`
}, body []byte) []string {
	var probs []string
	root, err := parseXML(body)
	if err != nil {
		return []string{"body is not XML: " + err.Error()}
	}
	if root.Name != op+"Response" {
		probs = append(probs, fmt.Sprintf("root element %s, want %sResponse", root.Name, op))
	}
	var result, meta *xmlNode
	for _, c := range root.Children {
		switch c.Name {
		case op + "Result":
			result = c
		case "ResponseMetadata":
			meta = c
		default:
			probs = append(probs, "unexpected element "+c.Name+" under "+root.Name)
		}
	}
	if meta == nil || len(meta.Children) != 1 || meta.Children[0].Name != "RequestId" || strings.TrimSpace(meta.Children[0].Text) == "" {
		probs = append(probs, "ResponseMetadata/RequestId missing")
	}
	if out == nil {
		if result != nil && len(result.Children) > 0 {
			probs = append(probs, "result sent for an operation with no output")
		}
		return probs
	}
	if result == nil {
		return append(probs, "missing "+op+"Result")
	}
	checkXMLShape(m, out.Shape, result, op+"Result", &probs)
	return probs
}

func checkXMLShape(m *botoModel, name string, n *xmlNode, path string, probs *[]string) {
	s := m.Shapes[name]
	if s == nil {
		*probs = append(*probs, path+": shape "+name+" missing from the model")
		return
	}
	text := strings.TrimSpace(n.Text)
	bad := func(want string) {
		*probs = append(*probs, fmt.Sprintf("%s: want %s (%s), got %q", path, want, name, truncateStr(text, 60)))
	}
	switch s.Type {
	case "structure":
		byWire := map[string]string{}
		for mn, mm := range s.Members {
			wire := mn
			if mm.LocationName != "" {
				wire = mm.LocationName
			}
			byWire[wire] = mn
		}
		count := map[string]int{}
		for _, c := range n.Children {
			mn, ok := byWire[c.Name]
			if !ok {
				*probs = append(*probs, fmt.Sprintf("%s: element <%s> is not in the model's %s", path, c.Name, name))
				continue
			}
			count[mn]++
			mm := s.Members[mn]
			ms := m.Shapes[mm.Shape]
			if ms != nil && ms.Type == "list" && (ms.Flattened || mm.Flattened) {
				checkXMLShape(m, ms.Member.Shape, c, path+"."+c.Name, probs)
				continue
			}
			if count[mn] > 1 {
				*probs = append(*probs, fmt.Sprintf("%s: <%s> appears more than once", path, c.Name))
			}
			checkXMLShape(m, mm.Shape, c, path+"."+c.Name, probs)
		}
		for _, r := range s.Required {
			if count[r] == 0 {
				*probs = append(*probs, fmt.Sprintf("%s: required member %q missing", path, r))
			}
		}
	case "list":
		want := "member"
		if s.Member.LocationName != "" {
			want = s.Member.LocationName
		}
		for i, c := range n.Children {
			if c.Name != want {
				*probs = append(*probs, fmt.Sprintf("%s: list element <%s>, want <%s>", path, c.Name, want))
				continue
			}
			checkXMLShape(m, s.Member.Shape, c, path+"["+strconv.Itoa(i)+"]", probs)
		}
	case "map":
		for _, c := range n.Children {
			if c.Name != "entry" || len(c.Children) != 2 {
				*probs = append(*probs, fmt.Sprintf("%s: map element <%s>, want <entry> with key and value", path, c.Name))
				continue
			}
			for _, kv := range c.Children {
				switch kv.Name {
				case "key":
					checkXMLShape(m, s.Key.Shape, kv, path+"{key}", probs)
				case "value":
					checkXMLShape(m, s.Value.Shape, kv, path+"{value}", probs)
				default:
					*probs = append(*probs, path+": map entry element <"+kv.Name+">")
				}
			}
		}
	case "string":
		if len(n.Children) > 0 {
			bad("text")
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, text) {
			*probs = append(*probs, fmt.Sprintf("%s: %q is not one of %s's values", path, text, name))
		}
	case "integer", "long":
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			bad("integer")
		}
	case "double", "float":
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			bad("number")
		}
	case "boolean":
		if text != "true" && text != "false" {
			bad("true or false")
		}
	case "timestamp":
		if !isISO8601(text) {
			bad("ISO 8601 timestamp")
		}
	case "blob":
		if _, err := base64.StdEncoding.DecodeString(text); err != nil {
			bad("base64")
		}
	default:
		*probs = append(*probs, path+": unhandled shape type "+s.Type)
	}
}

// awsOwnDeviations are where AWS itself answers outside its model, and
// connectfed answers as AWS does: root's GetUser has no UserName and no
// Path, and root's own CreateAccessKey no UserName (README: decisions).
var awsOwnDeviations = map[string][]string{
	"iam:GetUser":         {`User: required member "Path" missing`, `User: required member "UserName" missing`},
	"iam:CreateAccessKey": {`AccessKey: required member "UserName" missing`},
}

func recordResponse(service, op string, body []byte) {
	probs := slices.DeleteFunc(checkResponse(service, op, body), func(p string) bool {
		for _, d := range awsOwnDeviations[service+":"+op] {
			if strings.HasSuffix(p, d) {
				return true
			}
		}
		return false
	})
	key := service + ":" + op
	conformance.Lock()
	defer conformance.Unlock()
	conformance.seen[key]++
	if len(probs) > 0 && len(conformance.problems[key]) < 5 {
		conformance.problems[key] = append(conformance.problems[key], probs...)
	}
}

// conformanceReport returns what the run found wrong; coverage says
// whether every operation must have been seen.
func conformanceReport(coverage bool) []string {
	conformance.Lock()
	defer conformance.Unlock()
	var out []string
	for key, probs := range conformance.problems {
		out = append(out, key+": "+strings.Join(probs, "; "))
	}
	if coverage {
		for svc, ops := range awsapi.Operations() {
			for _, op := range ops {
				if conformance.seen[svc+":"+op] == 0 {
					out = append(out, svc+":"+op+": no successful response seen (no test drives this operation)")
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestMain(m *testing.M) {
	conformance.seen = map[string]int{}
	conformance.problems = map[string][]string{}
	awsapi.ResponseTap = recordResponse
	flag.Parse()
	code := m.Run()
	run := flag.Lookup("test.run")
	full := run == nil || run.Value.String() == ""
	if short := flag.Lookup("test.short"); short != nil && short.Value.String() == "true" {
		full = false
	}
	if probs := conformanceReport(full && code == 0); len(probs) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: wire conformance against the botocore models (%d problems):\n  %s\n", len(probs), strings.Join(probs, "\n  "))
		if code == 0 {
			code = 1
		}
	} else if full && code == 0 {
		conformance.Lock()
		fmt.Fprintf(os.Stderr, "wire conformance: %d operations, every successful response matches the botocore model\n", len(conformance.seen))
		conformance.Unlock()
	}
	os.Exit(code)
}

// TestWireConformanceChecker proves the checker finds what it must: members
// the model lacks, wrong types, wrongly encoded timestamps, missing
// required members, bad enum values, in both protocols.
func TestWireConformanceChecker(t *testing.T) {
	good := []struct{ svc, op, body string }{
		{"connect", "DescribeQueue", `{"Queue":{"Name":"Q","QueueId":"1","Status":"ENABLED","LastModifiedTime":1700000000.5,"Tags":{"a":"b"}}}`},
		{"connect", "TagResource", ``},
		{"sts", "GetCallerIdentity", `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root</Arn><UserId>000000000000</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`},
		{"iam", "ListAccessKeys", `<ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata><member><AccessKeyId>AKIAX</AccessKeyId><Status>Active</Status><CreateDate>2024-01-01T00:00:00Z</CreateDate></member></AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListAccessKeysResponse>`},
	}
	for _, g := range good {
		if probs := checkResponse(g.svc, g.op, []byte(g.body)); len(probs) > 0 {
			t.Errorf("%s %s: %v", g.svc, g.op, probs)
		}
	}
	bad := []struct{ svc, op, body, want string }{
		{"connect", "DescribeQueue", `{"Queue":{"Name":"Q","Extra":1}}`, `member "Extra" is not in the model`},
		{"connect", "DescribeQueue", `{"Queue":{"Name":5}}`, `want string`},
		{"connect", "DescribeQueue", `{"Queue":{"LastModifiedTime":"2024-01-01T00:00:00Z"}}`, `epoch seconds`},
		{"connect", "DescribeQueue", `{"Queue":{"Status":"PAUSED"}}`, `is not one of`},
		{"connect", "DescribeQueue", `{"Queue":{"MaxContacts":1.5}}`, `want integer`},
		{"connect", "DescribeQueue", `{"Queue":null}`, `null`},
		{"connect", "ListRoutingProfileQueues", `{"RoutingProfileQueueConfigSummaryList":[{"QueueId":"q"}]}`, `required member "QueueArn" missing`},
		{"connect", "TagResource", `{"x":1}`, `no output`},
		{"sts", "GetCallerIdentity", `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>a</Arn><Bogus>1</Bogus></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, `<Bogus> is not in the model`},
		{"iam", "ListAccessKeys", `<ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata><member><CreateDate>1700000000</CreateDate></member></AccessKeyMetadata><IsTruncated>no</IsTruncated></ListAccessKeysResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListAccessKeysResponse>`, `ISO 8601`},
		{"iam", "ListAccessKeys", `<ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata><item/></AccessKeyMetadata></ListAccessKeysResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListAccessKeysResponse>`, `want <member>`},
		{"iam", "GetUser", `<GetUserResponse><GetUserResult/></GetUserResponse>`, `RequestId missing`},
	}
	for _, b := range bad {
		probs := checkResponse(b.svc, b.op, []byte(b.body))
		if !strings.Contains(strings.Join(probs, "\n"), b.want) {
			t.Errorf("%s %s %s: problems %v, want one with %q", b.svc, b.op, b.body, probs, b.want)
		}
	}
}

// TestVendoredModels: the models .ci/run gives a botocore too old for the
// tests (e2e/aws-models, laid out by scripts/aws-models) have every
// operation the server serves, and botocore reads them from AWS_DATA_PATH
// ahead of its own, as loadBotocoreModels and the clients under test do.
func TestVendoredModels(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("../../scripts/aws-models", dir).CombinedOutput(); err != nil {
		t.Fatalf("scripts/aws-models: %v\n%s", err, out)
	}
	for svc, ver := range modelVersions {
		path := filepath.Join(dir, svc, ver, "service-2.json")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m botoModel
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, op := range awsapi.Operations()[svc] {
			if _, ok := m.Operations[op]; !ok {
				t.Errorf("e2e/aws-models: the %s model lacks %s, which the server serves (regenerate it: python3 e2e/aws-models/gen.py)", svc, op)
			}
		}
		if svc == "sts" {
			// A mark botocore's own model lacks, to tell which one it read.
			var raw map[string]any
			if err := json.Unmarshal(b, &raw); err != nil {
				t.Fatal(err)
			}
			raw["operations"].(map[string]any)["ConnectfedMark"] = map[string]any{"name": "ConnectfedMark", "http": map[string]any{"method": "POST", "requestUri": "/"}}
			if b, err = json.Marshal(raw); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	python := requireTool(t, "python3")
	versions, err := json.Marshal(modelVersions)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-c", loadModelsPy, string(versions))
	cmd.Env = append(os.Environ(), "AWS_DATA_PATH="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		testenv.Missing(t, fmt.Sprintf("botocore cannot load models (python3 -c 'import botocore'): %v\n%s", err, stderr.String()))
	}
	var models map[string]*botoModel
	if err := json.Unmarshal(out, &models); err != nil {
		t.Fatal(err)
	}
	if _, ok := models["sts"].Operations["ConnectfedMark"]; !ok {
		t.Errorf("botocore did not read the models in AWS_DATA_PATH=%s", dir)
	}
}
