package codes

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// goCodes reads the constants of codes.go: JS name (the comment's first
// word) → number.
func goCodes(t *testing.T) map[string]int32 {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int32{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			if v.Comment == nil {
				t.Errorf("%s has no comment naming its JS name", v.Names[0])
				continue
			}
			name := strings.TrimSuffix(strings.Fields(v.Comment.Text())[0], ":")
			if !regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(name) {
				t.Errorf("%s: comment starts with %q, not a JS name", v.Names[0], name)
			}
			lit := v.Values[0]
			neg := false
			if u, ok := lit.(*ast.UnaryExpr); ok && u.Op == token.SUB {
				lit, neg = u.X, true
			}
			n, err := strconv.Atoi(lit.(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			if neg {
				n = -n
			}
			out[name] = int32(n)
		}
	}
	if len(out) < 30 {
		t.Fatalf("read %d codes from codes.go", len(out))
	}
	return out
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The codes live in Go, in npm's ErrorCode and its typings, and in
// docs/api.md: every Go code is in the other three with its name and
// number, and every code the package's JavaScript returns by itself is a
// Go code.
func TestCodesAgreeWithNPMAndDocs(t *testing.T) {
	want := goCodes(t)
	// ErrorCode is RongIMLib's (npm/constants.js, generated from the
	// package) with imwasm's members on top (npm/index.js).
	js := map[string]int32{}
	for _, file := range []string{"../../npm/constants.js", "../../npm/index.js"} {
		block := regexp.MustCompile(`(?s)export const ErrorCode = Object\.freeze\(\{(.*?)\}\);`).FindStringSubmatch(read(t, file))
		if block == nil {
			t.Fatalf("no ErrorCode in %s", file)
		}
		for _, m := range regexp.MustCompile(`(?m)^\s*([A-Z][A-Z0-9_]*):\s*(-?\d+),`).FindAllStringSubmatch(block[1], -1) {
			n, _ := strconv.Atoi(m[2])
			js[m[1]] = int32(n)
		}
	}
	typings := read(t, "../../npm/index.d.ts") + read(t, "../../npm/constants.d.ts")
	docs := read(t, "../../docs/api.md")
	for name, n := range want {
		if got, ok := js[name]; !ok || got != n {
			t.Errorf("npm ErrorCode.%s = %d (present %v), Go says %d", name, got, ok, n)
		}
		if !strings.Contains(typings, fmt.Sprintf("readonly %s: %d;", name, n)) {
			t.Errorf("npm/index.d.ts lacks %s: %d", name, n)
		}
		if n != Success && !regexp.MustCompile("(?m)^\\|[^|\\n]*`"+name+"`[^|\\n]*\\| "+strconv.Itoa(int(n))+" \\|").MatchString(docs) {
			t.Errorf("docs/api.md's error table lacks %s (%d)", name, n)
		}
	}
	goNumbers := map[int32]bool{}
	for _, n := range want {
		goNumbers[n] = true
	}
	// What the JS returns by itself: ErrorCode.X in its code, and the
	// upload helpers' own constants.
	for _, file := range []string{"../../npm/index.js", "../../npm/upload.js", "../../npm/emoji.js"} {
		src := read(t, file)
		for _, m := range regexp.MustCompile(`ErrorCode\.([A-Z][A-Z0-9_]*)`).FindAllStringSubmatch(src, -1) {
			if n, ok := js[m[1]]; !ok || !goNumbers[n] {
				t.Errorf("%s returns ErrorCode.%s, which proto/codes lacks", file, m[1])
			}
		}
		for _, m := range regexp.MustCompile(`(?m)^const ([A-Z][A-Z0-9_]*) = (\d{5});`).FindAllStringSubmatch(src, -1) {
			n, _ := strconv.Atoi(m[2])
			if !goNumbers[int32(n)] {
				t.Errorf("%s returns %s (%d), which proto/codes lacks", file, m[1], n)
			}
		}
	}
}

func TestWrapKeepsTheCause(t *testing.T) {
	cause := errors.New("disk full")
	inner := New(InvalidParameter, "bad id")
	for _, c := range []struct {
		name    string
		err     error
		code    int32
		msg     string
		isCause error
	}{
		{"nil", nil, Success, "", nil},
		{"plain error", cause, Timeout, "", nil},
		{"new", New(NotInGroup, "not in group"), NotInGroup, "not in group", nil},
		{"wrap", Wrap(NetUnavailable, "dial", cause), NetUnavailable, "dial: disk full", cause},
		{"wrap nil", Wrap(NetUnavailable, "dial", nil), NetUnavailable, "dial", nil},
		{"wrap a code", Wrap(NetUnavailable, "connect", inner), NetUnavailable, "connect: bad id", inner},
		{"fmt-wrapped", fmt.Errorf("outer: %w", Wrap(UploadFail, "upload", cause)), UploadFail, "upload: disk full", cause},
	} {
		if got := Of(c.err); got != c.code {
			t.Errorf("%s: Of = %d, want %d", c.name, got, c.code)
		}
		var e *Error
		if errors.As(c.err, &e) && e.Msg != c.msg {
			t.Errorf("%s: msg %q, want %q", c.name, e.Msg, c.msg)
		}
		if c.isCause != nil && !errors.Is(c.err, c.isCause) {
			t.Errorf("%s: the cause is lost", c.name)
		}
	}
}
