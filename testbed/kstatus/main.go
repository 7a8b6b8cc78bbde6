// kstatus prints what sigs.k8s.io/cli-utils' kstatus (the library kpt, Flux and cli-utils' apply
// use to wait for resources) computes for each object: reads JSON objects from stdin (a stream,
// a List's items, or an array) and writes one JSON line each: {"name", "status", "message"}.
// Built by testbed/build.sh into the cache; see tests/gitops/test_kstatus.py.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Name       string             `json:"name"`
	Status     string             `json:"status"`
	Message    string             `json:"message"`
	Conditions []status.Condition `json:"conditions"`
}

func objects(v any) []map[string]any {
	switch x := v.(type) {
	case []any:
		var out []map[string]any
		for _, item := range x {
			out = append(out, objects(item)...)
		}
		return out
	case map[string]any:
		if items, ok := x["items"].([]any); ok && x["kind"] == "List" {
			return objects(items)
		}
		return []map[string]any{x}
	}
	return nil
}

func main() {
	dec := json.NewDecoder(os.Stdin)
	dec.UseNumber() // generations are int64 to kstatus, not float64
	enc := json.NewEncoder(os.Stdout)
	for {
		var v any
		if err := dec.Decode(&v); err == io.EOF {
			return
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "kstatus: reading stdin:", err)
			os.Exit(2)
		}
		for _, obj := range objects(v) {
			u := &unstructured.Unstructured{Object: toInt64(obj).(map[string]any)}
			res, err := status.Compute(u)
			if err != nil {
				fmt.Fprintln(os.Stderr, "kstatus:", u.GetName(), err)
				os.Exit(1)
			}
			_ = enc.Encode(verdict{Name: u.GetName(), Status: res.Status.String(), Message: res.Message,
				Conditions: res.Conditions})
		}
	}
}

// toInt64 turns json.Number into int64 (or float64), the types unstructured accessors expect.
func toInt64(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, item := range x {
			x[k] = toInt64(item)
		}
	case []any:
		for i, item := range x {
			x[i] = toInt64(item)
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
