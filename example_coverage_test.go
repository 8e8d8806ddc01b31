package switchboard_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestExamplesCoverRouter checks that every exported method of *Router is
// called in at least one Example function of this package, so that godoc
// shows each capability in use. The method set is read from the package's
// non-test files, so a new method needs a new Example (or a call in an
// existing one) before this test passes.
func TestExamplesCoverRouter(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}

	methods := map[string]token.Position{} // exported *Router methods
	called := map[string]bool{}            // X.Name( inside Example functions
	examples := 0
	for _, f := range files {
		if !strings.HasSuffix(fset.File(f.Pos()).Name(), "_test.go") {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.IsExported() && isRouterReceiver(fd.Recv) {
					methods[fd.Name.Name] = fset.Position(fd.Pos())
				}
			}
			continue
		}
		imports := importNames(f)
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Body == nil || !strings.HasPrefix(fd.Name.Name, "Example") {
				continue
			}
			examples++
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && imports[id.Name] {
					return true // pkg.Func(, not a method call
				}
				called[sel.Sel.Name] = true
				return true
			})
		}
	}
	if len(methods) < 10 || examples == 0 {
		t.Fatalf("found %d exported *Router methods and %d Example functions: the parse is broken", len(methods), examples)
	}

	var missing []string
	for m, pos := range methods {
		if !called[m] {
			missing = append(missing, m+" ("+path.Base(pos.Filename)+":"+strconv.Itoa(pos.Line)+")")
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("%d of %d exported *Router methods are called in no Example function; add an Example (see example_lifecycle_test.go) for:\n\t%s",
			len(missing), len(methods), strings.Join(missing, "\n\t"))
	}
}

// isRouterReceiver reports whether a method's receiver is *Router or Router.
func isRouterReceiver(recv *ast.FieldList) bool {
	if recv == nil || len(recv.List) != 1 {
		return false
	}
	typ := recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.Name == "Router"
}

// importNames returns the names under which a file refers to its imports.
func importNames(f *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		name := path.Base(p)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = true
	}
	return names
}
