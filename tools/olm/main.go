// olm-check: static checks of the OLM bundle in deployments/olm, built from Go modules by tools/build-olm-check.sh
// and run by test/unit/olm/bundle-validate.test.ts.
//
//	olm-check BUNDLE_DIR [K8S_VERSION]
//
// Prints one JSON document on stdout and exits 1 when any check reports an error:
//   - "format": the bundle format check of operator-registry's bundle library (metadata/annotations.yaml, the
//     manifests folder, the media type), the same function `operator-sdk bundle validate` calls first;
//   - "validators": every validator of github.com/operator-framework/api/pkg/validation that needs no network:
//     the default bundle validators (ClusterServiceVersion, CustomResourceDefinition, Bundle) and the optional
//     operatorframework suite (OperatorHub v2, standard capabilities and categories, good practices, deprecated
//     APIs at K8S_VERSION), plus the object validator;
//   - "scorecard": the scorecard's static tests (basic-check-spec, olm-bundle-validation, olm-crds-have-validation,
//     olm-crds-have-resources, olm-spec-descriptors, olm-status-descriptors), implemented here with the same names
//     and pass/fail rules, because the operator-sdk module (which holds them, internal to it) is not served by the
//     Go module proxy this project builds from. None of them needs a cluster.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	apimanifests "github.com/operator-framework/api/pkg/manifests"
	"github.com/operator-framework/api/pkg/operators/v1alpha1"
	apivalidation "github.com/operator-framework/api/pkg/validation"
	interfaces "github.com/operator-framework/api/pkg/validation/interfaces"
	"github.com/operator-framework/operator-registry/pkg/containertools"
	"github.com/operator-framework/operator-registry/pkg/image/execregistry"
	registrybundle "github.com/operator-framework/operator-registry/pkg/lib/bundle"
	"github.com/sirupsen/logrus"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

type checkResult struct {
	Name     string   `json:"name"`
	State    string   `json:"state"` // pass, fail
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
}

type report struct {
	Format     checkResult   `json:"format"`
	Validators []checkResult `json:"validators"`
	Scorecard  []checkResult `json:"scorecard"`
}

func newResult(name string) checkResult {
	return checkResult{Name: name, State: "pass", Errors: []string{}, Warnings: []string{}}
}

func (r *checkResult) fail(format string, args ...any) {
	r.State = "fail"
	r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
}

func (r *checkResult) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// formatCheck runs operator-registry's bundle format validation. The validator wraps a container tool only for
// pulling images, which ValidateBundleFormat never does.
func formatCheck(dir string) checkResult {
	r := newResult("bundle-format")
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	entry := logrus.NewEntry(logger)
	reg, err := execregistry.NewRegistry(containertools.NoneTool, entry)
	if err != nil {
		r.fail("registry stub: %v", err)
		return r
	}
	val := registrybundle.NewImageValidator(reg, entry)
	if err := val.ValidateBundleFormat(dir); err != nil {
		r.fail("%v", err)
	}
	if err := val.ValidateBundleContent(filepath.Join(dir, registrybundle.ManifestsDir)); err != nil {
		r.fail("%v", err)
	}
	return r
}

func runValidators(bundle *apimanifests.Bundle, k8sVersion string) []checkResult {
	named := []struct {
		name string
		v    interfaces.Validator
	}{
		{"ClusterServiceVersionValidator", apivalidation.ClusterServiceVersionValidator},
		{"CustomResourceDefinitionValidator", apivalidation.CustomResourceDefinitionValidator},
		{"BundleValidator", apivalidation.BundleValidator},
		{"OperatorHubV2Validator", apivalidation.OperatorHubV2Validator},
		{"StandardCapabilitiesValidator", apivalidation.StandardCapabilitiesValidator},
		{"StandardCategoriesValidator", apivalidation.StandardCategoriesValidator},
		{"GoodPracticesValidator", apivalidation.GoodPracticesValidator},
		{"AlphaDeprecatedAPIsValidator", apivalidation.AlphaDeprecatedAPIsValidator},
		{"ObjectValidator", apivalidation.ObjectValidator},
	}
	objs := bundle.ObjectsToValidate()
	objs = append(objs, map[string]string{"k8s-version": k8sVersion})
	var out []checkResult
	for _, n := range named {
		r := newResult(n.name)
		for _, res := range n.v.Validate(objs...) {
			for _, e := range res.Errors {
				r.fail("%s", e.Error())
			}
			for _, w := range res.Warnings {
				r.warn("%s", w.Error())
			}
		}
		out = append(out, r)
	}
	return out
}

// examples parses the CSV's alm-examples annotation (a JSON list of custom resources).
func examples(csv *v1alpha1.ClusterServiceVersion) ([]unstructured.Unstructured, error) {
	raw := csv.GetAnnotations()["alm-examples"]
	if raw == "" {
		return nil, nil
	}
	var crs []unstructured.Unstructured
	if err := json.Unmarshal([]byte(raw), &crs); err != nil {
		return nil, fmt.Errorf("alm-examples is not a JSON list of objects: %v", err)
	}
	return crs, nil
}

func ownedFor(csv *v1alpha1.ClusterServiceVersion, kind string) *v1alpha1.CRDDescription {
	for i := range csv.Spec.CustomResourceDefinitions.Owned {
		if csv.Spec.CustomResourceDefinitions.Owned[i].Kind == kind {
			return &csv.Spec.CustomResourceDefinitions.Owned[i]
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func scorecard(bundle *apimanifests.Bundle, format checkResult, validators []checkResult) []checkResult {
	csv := bundle.CSV
	crs, crErr := examples(csv)
	withExamples := func(name string) checkResult {
		r := newResult(name)
		if crErr != nil {
			r.fail("%v", crErr)
		}
		return r
	}

	// basic-check-spec: every example custom resource has a spec.
	basic := withExamples("basic-check-spec")
	for _, cr := range crs {
		if cr.Object["spec"] == nil {
			basic.fail("the example %s %s has no spec", cr.GetKind(), cr.GetName())
		}
	}

	// olm-bundle-validation: the bundle format plus the default validators (CSV, CRD, Bundle).
	bundleVal := newResult("olm-bundle-validation")
	bundleVal.Errors = append(bundleVal.Errors, format.Errors...)
	for _, v := range validators[:3] {
		bundleVal.Errors = append(bundleVal.Errors, v.Errors...)
		bundleVal.Warnings = append(bundleVal.Warnings, v.Warnings...)
	}
	if len(bundleVal.Errors) > 0 {
		bundleVal.State = "fail"
	}

	// olm-crds-have-validation: each top-level spec and status field of an example is in its CRD's schema.
	crdVal := withExamples("olm-crds-have-validation")
	for _, cr := range crs {
		gvk := cr.GroupVersionKind()
		found := false
		for _, crd := range bundle.V1CRDs {
			if crd.Spec.Group != gvk.Group || crd.Spec.Names.Kind != gvk.Kind {
				continue
			}
			for _, v := range crd.Spec.Versions {
				if !strings.EqualFold(v.Name, gvk.Version) {
					continue
				}
				found = true
				if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
					crdVal.fail("%s/%s has no schema", gvk.Kind, v.Name)
					continue
				}
				for _, part := range []string{"spec", "status"} {
					fields, _ := cr.Object[part].(map[string]any)
					props := v.Schema.OpenAPIV3Schema.Properties[part].Properties
					for _, key := range sortedKeys(fields) {
						if _, ok := props[key]; !ok {
							crdVal.fail("%s field %q of the example %s is not in the schema of %s/%s", part, key,
								cr.GetName(), gvk.Kind, v.Name)
						}
					}
				}
			}
		}
		if !found {
			crdVal.fail("the example %s has no CRD in the bundle (%s)", cr.GetName(), gvk.String())
		}
	}

	// olm-crds-have-resources: every owned CRD lists the kinds of object its operator creates for it.
	resources := newResult("olm-crds-have-resources")
	for _, owned := range csv.Spec.CustomResourceDefinitions.Owned {
		if len(owned.Resources) == 0 {
			resources.fail("owned CRD %s lists no resources", owned.Name)
		}
	}

	// olm-spec-descriptors: every top-level spec field of each example has a spec descriptor of that path.
	specDesc := withExamples("olm-spec-descriptors")
	// olm-status-descriptors: an example with a status needs status descriptors; one without is a suggestion.
	statusDesc := withExamples("olm-status-descriptors")
	for _, cr := range crs {
		owned := ownedFor(csv, cr.GetKind())
		if owned == nil {
			specDesc.fail("no owned CRD for the example %s (%s)", cr.GetName(), cr.GroupVersionKind().String())
			statusDesc.fail("no owned CRD for the example %s (%s)", cr.GetName(), cr.GroupVersionKind().String())
			continue
		}
		spec, ok := cr.Object["spec"].(map[string]any)
		if !ok {
			specDesc.fail("the example %s has no spec", cr.GetName())
		}
		paths := map[string]bool{}
		for _, d := range owned.SpecDescriptors {
			paths[d.Path] = true
		}
		for _, key := range sortedKeys(spec) {
			if !paths[key] {
				specDesc.fail("%s: spec field %s has no spec descriptor", owned.Name, key)
			}
		}
		status, _ := cr.Object["status"].(map[string]any)
		if len(status) == 0 {
			statusDesc.warn("the example %s (%s) has no status", cr.GetName(), owned.Name)
		} else if len(owned.StatusDescriptors) == 0 {
			statusDesc.fail("%s has no status descriptor", owned.Name)
		}
	}
	return []checkResult{basic, bundleVal, crdVal, resources, specDesc, statusDesc}
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: olm-check BUNDLE_DIR [K8S_VERSION]")
		os.Exit(2)
	}
	dir := os.Args[1]
	k8sVersion := ""
	if len(os.Args) == 3 {
		k8sVersion = os.Args[2]
	}
	// The libraries log through logrus; keep stdout for the JSON report.
	logrus.SetOutput(io.Discard)
	bundle, err := apimanifests.GetBundleFromDir(filepath.Join(dir, registrybundle.ManifestsDir))
	if err != nil {
		fmt.Fprintf(os.Stderr, "olm-check: cannot load the bundle: %v\n", err)
		os.Exit(2)
	}
	if bundle.CSV == nil {
		fmt.Fprintln(os.Stderr, "olm-check: the bundle has no ClusterServiceVersion")
		os.Exit(2)
	}
	// The scorecard checks above read v1 schemas only.
	if len(bundle.V1beta1CRDs) > 0 {
		fmt.Fprintln(os.Stderr, "olm-check: v1beta1 CRDs are not supported")
		os.Exit(2)
	}
	rep := report{Format: formatCheck(dir)}
	rep.Validators = runValidators(bundle, k8sVersion)
	rep.Scorecard = scorecard(bundle, rep.Format, rep.Validators)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	failed := rep.Format.State == "fail"
	for _, r := range append(rep.Validators, rep.Scorecard...) {
		failed = failed || r.State == "fail"
	}
	if failed {
		os.Exit(1)
	}
}
