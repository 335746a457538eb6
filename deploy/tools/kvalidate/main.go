// kvalidate reads multi-document YAML (kubectl kustomize output) from stdin or files and decodes every
// object strictly into its Kubernetes Go type: an unknown field, a wrong type or an unknown kind is an
// error. The schema is the k8s.io/api types of the version pinned in go.mod (and prometheus-operator's
// for ServiceMonitor / PrometheusRule), fetched once from the Go module proxy and cached; nothing is
// downloaded at run time.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

type meta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

func main() {
	s := runtime.NewScheme()
	if err := scheme.AddToScheme(s); err != nil {
		fail(err)
	}
	if err := monitoringv1.AddToScheme(s); err != nil {
		fail(err)
	}
	inputs := os.Args[1:]
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	bad, total := 0, 0
	for _, in := range inputs {
		var r io.Reader = os.Stdin
		if in != "-" {
			f, err := os.Open(in)
			if err != nil {
				fail(err)
			}
			defer f.Close()
			r = f
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
		for {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				fail(err)
			}
			if len(bytes.TrimSpace(doc)) == 0 || strings.TrimSpace(string(doc)) == "---" {
				continue
			}
			total++
			if err := validate(s, doc); err != nil {
				bad++
				fmt.Fprintf(os.Stderr, "%s: %v\n", in, err)
			}
		}
	}
	fmt.Printf("kvalidate: objects=%d invalid=%d\n", total, bad)
	if bad > 0 || total == 0 {
		os.Exit(1)
	}
}

func validate(s *runtime.Scheme, doc []byte) error {
	var m meta
	if err := yaml.Unmarshal(doc, &m); err != nil {
		return fmt.Errorf("not YAML: %w", err)
	}
	gv, err := schema.ParseGroupVersion(m.APIVersion)
	if err != nil {
		return fmt.Errorf("%s/%s: bad apiVersion %q", m.Kind, m.Metadata.Name, m.APIVersion)
	}
	id := fmt.Sprintf("%s %s/%s", m.APIVersion, m.Kind, m.Metadata.Name)
	if m.Metadata.Name == "" {
		return fmt.Errorf("%s: metadata.name is required", id)
	}
	obj, err := s.New(gv.WithKind(m.Kind))
	if err != nil {
		return fmt.Errorf("%s: unknown kind for this Kubernetes version: %w", id, err)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kvalidate:", err)
	os.Exit(2)
}
