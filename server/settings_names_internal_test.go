package server

import (
	"encoding/json"
	"reflect"
	"testing"
)

// A PUT stores the settings it names by their JSON names (changeSettings):
// every name the body takes must be a name of Settings, or the change
// would be applied and not stored.
func TestSettingsBodyNamesAreSettings(t *testing.T) {
	b, err := json.Marshal(settingsFrom(Config{}))
	if err != nil {
		t.Fatal(err)
	}
	var names map[string]json.RawMessage
	if err := json.Unmarshal(b, &names); err != nil {
		t.Fatal(err)
	}
	body := reflect.TypeFor[settingsBody]()
	for i := range body.NumField() {
		name := body.Field(i).Tag.Get("json")
		if _, ok := names[name]; !ok {
			t.Errorf("settingsBody.%s is %q, which Settings does not have", body.Field(i).Name, name)
		}
	}
}
