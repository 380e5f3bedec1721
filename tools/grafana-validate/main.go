// Command grafana-validate checks rendered Grafana dashboards and alert rules against the typed
// models of Grafana's own schema code, github.com/grafana/grafana-foundation-sdk/go (Apache-2.0),
// plus the checks that code leaves out.
//
//	grafana-validate [--dashboard FILE.json ...] [--rules FILE.json]
//
// Output: one JSON report on stdout, exit 1 when any item has an error (2 on a usage error):
//
//	{ "ok": bool, "items": [ { "file": "...", "uid": "...", "kind": "dashboard"|"rule", "errors": ["..."] } ] }
//
// --dashboard FILE: a dashboard JSON model as Grafana's file provisioning reads it. Decoded with
// encoding/json through the SDK's own UnmarshalJSON hooks (which pick each panel's typed options,
// field config and query model by panel and datasource type), then dashboard.Validate(). On top:
//   - every panel, nested row panels included, has a type the SDK knows (knownPanelTypes, each
//     checked against the SDK's registry at start-up) or "row"; a unique numeric id; a gridPos
//     inside the 24-column grid;
//   - the dashboard has a uid (1-40 characters of [A-Za-z0-9_-]), a title, a schemaVersion;
//     graphTooltip is 0, 1 or 2; template variables have a known type and hide value;
//   - uids are unique across all --dashboard files;
//   - each panel of a known type has its options, fieldConfig.defaults.custom and targets decoded
//     once more with the SDK's strict unmarshalers for that panel/datasource type (unknown keys,
//     missing required fields). Only these parts: a strictly decoded whole dashboard loses its
//     panels, and UnmarshalJSONStrict returns a non-nil empty error list on success, so the
//     dashboard itself is decoded leniently and errors are counted, not compared with nil.
//
// --rules FILE: a JSON array of alert rules exactly as they stand under `groups[].rules[]` in a
// Grafana alerting provisioning file (apiVersion 1), each with one extra key "group" holding its
// group's context:
//
//	[ { "uid": "...", "title": "...", "condition": "C", "data": [...], "noDataState": "OK",
//	    "execErrState": "Error", "for": "5m", "labels": {...}, "annotations": {...}, "isPaused": false,
//	    "group": { "orgId": 1, "name": "scotty", "folder": "scotty", "interval": "1m" } }, ... ]
//
// Each is mapped onto the SDK's alerting.Rule: orgID <- group.orgId, ruleGroup <- group.name,
// folderUID <- group.folder, keepFiringFor -> keep_firing_for, dashboardUid/panelId ->
// annotations __dashboardUid__/__panelId__; any other key not in the provisioning format is an error.
// Then alerting.Rule.Validate(). On top:
//   - noDataState in OK|NoData|Alerting|KeepLast, execErrState in OK|Error|Alerting|KeepLast;
//   - uid present (1-40 of [A-Za-z0-9_-]) and unique, title unique within its folder;
//   - `for`, keepFiringFor and the group interval are Prometheus-style durations, the interval a
//     positive multiple of 10s;
//   - data is non-empty, refIds are present and unique, each query has a datasourceUid, the
//     condition names one of the refIds;
//   - expression queries (datasourceUid __expr__) have a type the SDK knows (math, reduce, resample,
//     classic_conditions, threshold, sql), their expression names another refId, a reduce's
//     reducer and settings.mode and a threshold's evaluator types are values of the SDK's enums;
//   - every query model is decoded once more with the SDK's strict unmarshaler for its datasource
//     type (expressions: __expr__), so an unknown key or a missing required field is an error;
//   - an __dashboardUid__ annotation names one of the --dashboard files (when any were given) and
//     __panelId__ a non-row panel of it.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/alerting"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/expr"
)

// knownPanelTypes: the panel plugins whose options and field config the SDK types (the panelcfg
// variants plugins.RegisterDefaultPlugins registers). init() fails if one is not registered.
var knownPanelTypes = []string{
	"annolist", "barchart", "bargauge", "candlestick", "canvas", "dashlist", "datagrid", "debug",
	"gauge", "geomap", "heatmap", "histogram", "logs", "news", "nodeGraph", "piechart", "stat",
	"state-timeline", "status-history", "table", "text", "timeseries", "trend", "xychart",
}

var (
	uidPattern       = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
	durationPattern  = regexp.MustCompile(`^(([0-9]+)(ms|s|m|h|d|w|y))+$`)
	durationPart     = regexp.MustCompile(`([0-9]+)(ms|s|m|h|d|w|y)`)
	noDataStates     = set(string(alerting.RuleNoDataStateOK), string(alerting.RuleNoDataStateNoData), string(alerting.RuleNoDataStateAlerting), string(alerting.RuleNoDataStateKeepLast))
	execErrStates    = set(string(alerting.RuleExecErrStateOK), string(alerting.RuleExecErrStateError), string(alerting.RuleExecErrStateAlerting), string(alerting.RuleExecErrStateKeepLast))
	variableTypes    = set("query", "adhoc", "groupby", "constant", "datasource", "interval", "textbox", "custom", "system", "snapshot", "switch")
	reducers         = set(string(expr.TypeReduceReducerSum), string(expr.TypeReduceReducerMean), string(expr.TypeReduceReducerMin), string(expr.TypeReduceReducerMax), string(expr.TypeReduceReducerCount), string(expr.TypeReduceReducerLast), string(expr.TypeReduceReducerMedian))
	reduceModes      = set(string(expr.ExprTypeReduceSettingsModeDropNN), string(expr.ExprTypeReduceSettingsModeReplaceNN))
	thresholdEvalTyp = set("gt", "lt", "eq", "ne", "gte", "lte", "within_range", "outside_range", "within_range_included", "outside_range_included")
	// provisioning-file rule keys that the SDK's Rule carries under the same name
	ruleKeysSame = set("uid", "title", "condition", "data", "noDataState", "execErrState", "for", "labels", "annotations", "isPaused", "notification_settings", "record", "missingSeriesEvalsToResolve")
	panelTypes   = map[string]bool{"row": true}
)

func set(values ...string) map[string]bool {
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return m
}

func init() {
	plugins.RegisterDefaultPlugins()
	for _, t := range knownPanelTypes {
		if _, ok := cog.ConfigForPanelcfgVariant(t); !ok {
			panic("panel type " + t + " is not registered by the SDK")
		}
		panelTypes[t] = true
	}
}

type item struct {
	File   string   `json:"file"`
	UID    string   `json:"uid"`
	Kind   string   `json:"kind"`
	Errors []string `json:"errors"`
}

type report struct {
	OK    bool   `json:"ok"`
	Items []item `json:"items"`
}

type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

// sdkErrors flattens an error of the SDK (cog.BuildErrors: one path-prefixed line each).
func sdkErrors(prefix string, err error) []string {
	if err == nil {
		return nil
	}
	var build cog.BuildErrors
	if errors.As(err, &build) {
		out := make([]string, 0, len(build))
		for _, e := range build {
			out = append(out, prefix+e.Error())
		}
		return out
	}
	return []string{prefix + err.Error()}
}

// panelIndex: what the rules need to know of a dashboard (its non-row panel ids).
type panelIndex map[int64]bool

func validateDashboard(file string, raw []byte) (item, string, panelIndex) {
	it := item{File: file, Kind: "dashboard", Errors: []string{}}
	fail := func(format string, a ...any) { it.Errors = append(it.Errors, fmt.Sprintf(format, a...)) }
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		fail("not a JSON object: %v", err)
		return it, "", nil
	}
	if uid, ok := generic["uid"].(string); ok {
		it.UID = uid
	}
	var d dashboard.Dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		fail("decode: %v", err)
	} else {
		it.Errors = append(it.Errors, sdkErrors("", d.Validate())...)
	}
	// Beyond the SDK.
	if !uidPattern.MatchString(it.UID) {
		fail("uid: %q is not 1-40 characters of [A-Za-z0-9_-]", it.UID)
	}
	if title, _ := generic["title"].(string); strings.TrimSpace(title) == "" {
		fail("title: missing")
	}
	if _, ok := generic["schemaVersion"].(float64); !ok {
		fail("schemaVersion: missing")
	}
	if v, present := generic["graphTooltip"]; present {
		if n, ok := v.(float64); !ok || (n != 0 && n != 1 && n != 2) {
			fail("graphTooltip: %v is not 0, 1 or 2", v)
		}
	}
	if templating, ok := generic["templating"].(map[string]any); ok {
		list, _ := templating["list"].([]any)
		for i, v := range list {
			variable, _ := v.(map[string]any)
			if t, _ := variable["type"].(string); !variableTypes[t] {
				fail("templating.list[%d].type: %q is not a variable type", i, variable["type"])
			}
			if h, present := variable["hide"]; present {
				if n, ok := h.(float64); !ok || n < 0 || n > 3 || n != float64(int(n)) {
					fail("templating.list[%d].hide: %v is not 0..3", i, h)
				}
			}
		}
	}
	panels := panelIndex{}
	ids := map[int64]string{}
	var walk func(list []any, at string)
	walk = func(list []any, at string) {
		for i, p := range list {
			path := fmt.Sprintf("%s[%d]", at, i)
			panel, ok := p.(map[string]any)
			if !ok {
				fail("%s: not an object", path)
				continue
			}
			t, _ := panel["type"].(string)
			title, _ := panel["title"].(string)
			if t == "" {
				fail("%s (%q): type missing", path, title)
			} else if !panelTypes[t] {
				fail("%s (%q): unknown panel type %q (the SDK knows row, %s)", path, title, t, strings.Join(knownPanelTypes, ", "))
			}
			if n, ok := panel["id"].(float64); !ok || n != float64(int64(n)) || n < 1 {
				fail("%s (%q): id missing or not a positive integer", path, title)
			} else if prev, dup := ids[int64(n)]; dup {
				fail("%s (%q): id %d already used by %s", path, title, int64(n), prev)
			} else {
				ids[int64(n)] = path
				if t != "row" {
					panels[int64(n)] = true
				}
			}
			if g, ok := panel["gridPos"].(map[string]any); !ok {
				fail("%s (%q): gridPos missing", path, title)
			} else {
				x, _ := g["x"].(float64)
				w, _ := g["w"].(float64)
				h, _ := g["h"].(float64)
				if w < 1 || h < 1 || x < 0 || x+w > 24 {
					fail("%s (%q): gridPos x=%v w=%v h=%v is outside the 24-column grid", path, title, g["x"], g["w"], g["h"])
				}
			}
			if panelTypes[t] && t != "row" {
				for _, msg := range strictPanel(t, panel) {
					fail("%s (%q): %s", path, title, msg)
				}
			}
			if nested, ok := panel["panels"].([]any); ok {
				if t != "row" && len(nested) > 0 {
					fail("%s (%q): only a row may hold panels", path, title)
				}
				walk(nested, path+".panels")
			}
		}
	}
	list, _ := generic["panels"].([]any)
	walk(list, "panels")
	return it, it.UID, panels
}

// strictPanel decodes a panel's options, custom field config and queries with the SDK's strict
// unmarshalers for its type: unknown keys (a misspelt option) and missing required fields are
// errors there, which the lenient decoding of the dashboard ignores.
func strictPanel(panelType string, panel map[string]any) []string {
	var out []string
	cfg, _ := cog.ConfigForPanelcfgVariant(panelType)
	strict := func(what string, unmarshal func([]byte) (any, error), value any) {
		if unmarshal == nil || value == nil {
			return
		}
		raw, _ := json.Marshal(value)
		if _, err := unmarshal(raw); err != nil {
			out = append(out, sdkErrors(what+": ", err)...)
		}
	}
	strict("options", cfg.StrictOptionsUnmarshaler, panel["options"])
	if fc, ok := panel["fieldConfig"].(map[string]any); ok {
		if defaults, ok := fc["defaults"].(map[string]any); ok {
			strict("fieldConfig.defaults.custom", cfg.StrictFieldConfigUnmarshaler, defaults["custom"])
		}
	}
	hint := ""
	if ds, ok := panel["datasource"].(map[string]any); ok {
		hint, _ = ds["type"].(string)
	}
	targets, _ := panel["targets"].([]any)
	for i, target := range targets {
		strict(fmt.Sprintf("targets[%d]", i), func(raw []byte) (any, error) { return cog.StrictUnmarshalDataquery(raw, hint) }, target)
	}
	return out
}

// durationSeconds parses a Prometheus-style duration (1h30m, 5m, 0s) as Grafana's provisioning does.
func durationSeconds(s string) (float64, bool) {
	if !durationPattern.MatchString(s) {
		return 0, false
	}
	unit := map[string]float64{"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
	total := 0.0
	for _, m := range durationPart.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.ParseFloat(m[1], 64)
		total += n * unit[m[2]]
	}
	return total, true
}

type ruleGroup struct {
	OrgID    int64  `json:"orgId"`
	Name     string `json:"name"`
	Folder   string `json:"folder"`
	Interval string `json:"interval"`
}

func validateRules(file string, raw []byte, dashboards map[string]panelIndex) ([]item, error) {
	var entries []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("%s: not a JSON array of objects: %w", file, err)
	}
	items := make([]item, 0, len(entries))
	uids := map[string]int{}
	titles := map[string]int{}
	for index, entry := range entries {
		it := item{File: file, Kind: "rule", Errors: []string{}}
		fail := func(format string, a ...any) { it.Errors = append(it.Errors, fmt.Sprintf(format, a...)) }
		var uid, title string
		_ = json.Unmarshal(entry["uid"], &uid)
		_ = json.Unmarshal(entry["title"], &title)
		it.UID = uid
		if it.UID == "" {
			it.UID = fmt.Sprintf("#%d", index)
		}
		var group ruleGroup
		if entry["group"] == nil {
			fail("group: missing (the rule's group context: orgId, name, folder, interval)")
		} else if err := json.Unmarshal(entry["group"], &group); err != nil {
			fail("group: %v", err)
		}
		// Map the provisioning-file rule onto the SDK's model.
		model := map[string]json.RawMessage{}
		annotations := map[string]json.RawMessage{}
		if entry["annotations"] != nil {
			if err := json.Unmarshal(entry["annotations"], &annotations); err != nil {
				fail("annotations: %v", err)
			}
		}
		keys := make([]string, 0, len(entry))
		for k := range entry {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := entry[k]
			switch {
			case k == "group":
			case k == "annotations":
			case ruleKeysSame[k]:
				model[k] = v
			case k == "keepFiringFor":
				model["keep_firing_for"] = v
			case k == "dashboardUid":
				annotations["__dashboardUid__"] = v
			case k == "panelId":
				var n int64
				if err := json.Unmarshal(v, &n); err != nil {
					fail("panelId: %v", err)
				} else {
					annotations["__panelId__"], _ = json.Marshal(strconv.FormatInt(n, 10))
				}
			default:
				fail("%s: not a key of a provisioned alert rule", k)
			}
		}
		if len(annotations) > 0 {
			model["annotations"], _ = json.Marshal(annotations)
		}
		model["orgID"], _ = json.Marshal(group.OrgID)
		model["ruleGroup"], _ = json.Marshal(group.Name)
		model["folderUID"], _ = json.Marshal(group.Folder)
		mapped, _ := json.Marshal(model)
		var rule alerting.Rule
		if err := json.Unmarshal(mapped, &rule); err != nil {
			fail("decode: %v", err)
			items = append(items, it)
			continue
		}
		it.Errors = append(it.Errors, sdkErrors("", rule.Validate())...)

		// Beyond the SDK: the group.
		if group.OrgID < 1 {
			fail("group.orgId: %d is not a positive org id", group.OrgID)
		}
		if strings.TrimSpace(group.Folder) == "" {
			fail("group.folder: missing")
		}
		if s, ok := durationSeconds(group.Interval); !ok || s <= 0 || s != float64(int64(s)) || int64(s)%10 != 0 {
			fail("group.interval: %q is not a positive multiple of 10s", group.Interval)
		}
		// Identity.
		if !uidPattern.MatchString(uid) {
			fail("uid: %q is not 1-40 characters of [A-Za-z0-9_-]", uid)
		} else if prev, dup := uids[uid]; dup {
			fail("uid: %q already used by rule #%d", uid, prev)
		} else {
			uids[uid] = index
		}
		titleKey := fmt.Sprintf("%d/%s/%s", group.OrgID, group.Folder, title)
		if prev, dup := titles[titleKey]; dup && title != "" {
			fail("title: %q already used in folder %q by rule #%d", title, group.Folder, prev)
		} else {
			titles[titleKey] = index
		}
		// Enums.
		if !noDataStates[string(rule.NoDataState)] {
			fail("noDataState: %q is not one of OK, NoData, Alerting, KeepLast", rule.NoDataState)
		}
		if !execErrStates[string(rule.ExecErrState)] {
			fail("execErrState: %q is not one of OK, Error, Alerting, KeepLast", rule.ExecErrState)
		}
		if _, ok := durationSeconds(rule.For); !ok {
			fail("for: %q is not a duration", rule.For)
		}
		if rule.KeepFiringFor != nil {
			if _, ok := durationSeconds(*rule.KeepFiringFor); !ok {
				fail("keepFiringFor: %q is not a duration", *rule.KeepFiringFor)
			}
		}
		// Queries and expressions.
		var rawData []json.RawMessage
		_ = json.Unmarshal(entry["data"], &rawData)
		if len(rule.Data) == 0 {
			fail("data: no queries")
		}
		refs := map[string]bool{}
		for i, q := range rule.Data {
			ref := ""
			if q.RefId != nil {
				ref = *q.RefId
			}
			if ref == "" {
				fail("data[%d].refId: missing", i)
			} else if refs[ref] {
				fail("data[%d].refId: %q used twice", i, ref)
			}
			refs[ref] = true
			if q.DatasourceUid == nil || *q.DatasourceUid == "" {
				fail("data[%d].datasourceUid: missing", i)
			}
			if q.Model == nil {
				fail("data[%d].model: missing", i)
			}
		}
		if !refs[rule.Condition] || rule.Condition == "" {
			fail("condition: %q names no query of data", rule.Condition)
		}
		for i, q := range rule.Data {
			if i >= len(rawData) {
				break
			}
			var wrapper struct {
				Model json.RawMessage `json:"model"`
			}
			_ = json.Unmarshal(rawData[i], &wrapper)
			if wrapper.Model == nil {
				continue
			}
			hint := ""
			if q.DatasourceUid != nil && *q.DatasourceUid == "__expr__" {
				hint = "__expr__"
				for _, msg := range checkExpression(wrapper.Model, refs) {
					fail("data[%d].model: %s", i, msg)
				}
			}
			// Strictly, by the model's datasource type: unknown keys, missing required fields.
			if _, err := cog.StrictUnmarshalDataquery(wrapper.Model, hint); err != nil {
				for _, msg := range sdkErrors("", err) {
					fail("data[%d].model: %s", i, msg)
				}
			}
		}
		// Link to a dashboard panel.
		if len(dashboards) > 0 {
			if d, ok := rule.Annotations["__dashboardUid__"]; ok {
				panels, found := dashboards[d]
				if !found {
					fail("annotations.__dashboardUid__: %q is none of the dashboards given", d)
				} else if p, ok := rule.Annotations["__panelId__"]; ok {
					n, err := strconv.ParseInt(p, 10, 64)
					if err != nil || !panels[n] {
						fail("annotations.__panelId__: %q is no panel of dashboard %q", p, d)
					}
				}
			}
		}
		items = append(items, it)
	}
	return items, nil
}

// checkExpression: a server-side expression model, decoded by the SDK's expr variant.
func checkExpression(raw json.RawMessage, refs map[string]bool) []string {
	var out []string
	dq, err := cog.UnmarshalDataquery(raw, "__expr__")
	if err != nil {
		return []string{fmt.Sprintf("decode: %v", err)}
	}
	e, ok := dq.(*expr.Expr)
	if !ok {
		return []string{fmt.Sprintf("decoded as %T, not an expression", dq)}
	}
	out = append(out, sdkErrors("", e.Validate())...)
	expression := func(x string) {
		if !refs[x] {
			out = append(out, fmt.Sprintf("expression: %q names no query of data", x))
		}
	}
	switch {
	case e.TypeReduce != nil:
		expression(e.TypeReduce.Expression)
		if !reducers[string(e.TypeReduce.Reducer)] {
			out = append(out, fmt.Sprintf("reducer: %q is not a reducer of the SDK", e.TypeReduce.Reducer))
		}
		if e.TypeReduce.Settings != nil && !reduceModes[string(e.TypeReduce.Settings.Mode)] {
			out = append(out, fmt.Sprintf("settings.mode: %q is not dropNN or replaceNN", e.TypeReduce.Settings.Mode))
		}
	case e.TypeThreshold != nil:
		expression(e.TypeThreshold.Expression)
		if len(e.TypeThreshold.Conditions) == 0 {
			out = append(out, "conditions: none")
		}
		for i, c := range e.TypeThreshold.Conditions {
			if !thresholdEvalTyp[string(c.Evaluator.Type)] {
				out = append(out, fmt.Sprintf("conditions[%d].evaluator.type: %q is not an evaluator type", i, c.Evaluator.Type))
			}
			if len(c.Evaluator.Params) == 0 {
				out = append(out, fmt.Sprintf("conditions[%d].evaluator.params: empty", i))
			}
		}
	case e.TypeResample != nil:
		expression(e.TypeResample.Expression)
	case e.TypeMath != nil, e.TypeClassicConditions != nil, e.TypeSql != nil:
	default:
		var typed struct {
			Type any `json:"type"`
		}
		_ = json.Unmarshal(raw, &typed)
		out = append(out, fmt.Sprintf("type: %v is not an expression type (math, reduce, resample, classic_conditions, threshold, sql)", typed.Type))
	}
	return out
}

func main() {
	var dashboardFiles files
	var rulesFile string
	flag.Var(&dashboardFiles, "dashboard", "a dashboard JSON file (repeatable)")
	flag.StringVar(&rulesFile, "rules", "", "a JSON array of provisioned alert rules, each with its \"group\" context")
	flag.Parse()
	if flag.NArg() > 0 || (len(dashboardFiles) == 0 && rulesFile == "") {
		fmt.Fprintln(os.Stderr, "usage: grafana-validate [--dashboard FILE.json ...] [--rules FILE.json]")
		os.Exit(2)
	}
	rep := report{OK: true, Items: []item{}}
	dashboards := map[string]panelIndex{}
	seen := map[string]string{}
	for _, f := range dashboardFiles {
		raw, err := os.ReadFile(f)
		if err != nil {
			rep.Items = append(rep.Items, item{File: f, Kind: "dashboard", Errors: []string{err.Error()}})
			continue
		}
		it, uid, panels := validateDashboard(f, raw)
		if uid != "" {
			if prev, dup := seen[uid]; dup {
				it.Errors = append(it.Errors, fmt.Sprintf("uid: %q already used by %s", uid, prev))
			}
			seen[uid] = f
			dashboards[uid] = panels
		}
		rep.Items = append(rep.Items, it)
	}
	if rulesFile != "" {
		raw, err := os.ReadFile(rulesFile)
		if err == nil {
			var items []item
			items, err = validateRules(rulesFile, raw, dashboards)
			rep.Items = append(rep.Items, items...)
		}
		if err != nil {
			rep.Items = append(rep.Items, item{File: rulesFile, Kind: "rule", Errors: []string{err.Error()}})
		}
	}
	for _, it := range rep.Items {
		if len(it.Errors) > 0 {
			rep.OK = false
		}
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	_ = out.Encode(rep)
	if !rep.OK {
		os.Exit(1)
	}
}
