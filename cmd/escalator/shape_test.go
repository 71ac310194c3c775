package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestNoDeferredCleanupOnNamedResults keeps out the shape behind the
// start-up panic: a function with named results whose deferred closure
// uses one of them, so that `return nil, err` hands the cleanup a nil (it
// then calls Close on nil). Failed starts roll back explicitly instead
// (NewApp, newRemotes).
func TestNoDeferredCleanupOnNamedResults(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, ent := range entries {
		name := ent.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var typ *ast.FuncType
			var body *ast.BlockStmt
			switch fn := n.(type) {
			case *ast.FuncDecl:
				typ, body = fn.Type, fn.Body
			case *ast.FuncLit:
				typ, body = fn.Type, fn.Body
			default:
				return true
			}
			if body == nil || typ.Results == nil {
				return true
			}
			// Named results other than errors: reading err in a deferred
			// closure is the usual, safe idiom.
			results := map[*ast.Field]bool{}
			for _, field := range typ.Results.List {
				if id, ok := field.Type.(*ast.Ident); ok && id.Name == "error" {
					continue
				}
				if len(field.Names) > 0 {
					results[field] = true
				}
			}
			if len(results) == 0 {
				return true
			}
			for _, stmt := range body.List {
				d, ok := stmt.(*ast.DeferStmt)
				if !ok {
					continue
				}
				lit, ok := d.Call.Fun.(*ast.FuncLit)
				if !ok {
					continue
				}
				ast.Inspect(lit.Body, func(n ast.Node) bool {
					id, ok := n.(*ast.Ident)
					if !ok || id.Obj == nil {
						return true
					}
					if field, ok := id.Obj.Decl.(*ast.Field); ok && results[field] {
						t.Errorf("%s: a deferred cleanup uses the named result %q; roll back explicitly instead",
							fset.Position(id.Pos()), id.Name)
						return false
					}
					return true
				})
			}
			return true
		})
	}
}
