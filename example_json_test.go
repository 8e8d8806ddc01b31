package switchboard_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-go/switchboard"
)

// A TaskInput in its JSON form: lowerCamel keys, unset fields left out,
// durations in their short form.
func ExampleTaskInput_MarshalJSON() {
	in := switchboard.TaskInput{
		Name:       "Call back about order 1234",
		QueueID:    "billing",
		Attributes: map[string]string{"customer": "c-42"},
		RoutingCriteria: &switchboard.RoutingCriteria{Steps: []switchboard.RoutingStep{
			{Requirement: switchboard.Proficient("Language", "French", 4), Expiry: 30 * time.Second},
		}},
		ScheduledAt: time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC),
		Expiry:      7 * 24 * time.Hour,
	}
	b, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	// Output:
	// {
	//   "name": "Call back about order 1234",
	//   "attributes": {
	//     "customer": "c-42"
	//   },
	//   "queueId": "billing",
	//   "routingCriteria": {
	//     "steps": [
	//       {
	//         "requirement": {
	//           "attribute": {
	//             "name": "Language",
	//             "value": "French",
	//             "minLevel": 4
	//           }
	//         },
	//         "expiry": "30s"
	//       }
	//     ]
	//   },
	//   "scheduledAt": "2026-11-24T09:30:00Z",
	//   "expiry": "168h"
	// }
}

// A document that does not decode: the error names the JSON path.
func ExampleJSONError() {
	doc := `{"name": "Review", "queueId": "support", "expiry": 1800,
	         "routingCriteria": {"steps": [{"expiry": "soon"}]}}`
	var in switchboard.TaskInput
	err := json.Unmarshal([]byte(doc), &in)
	fmt.Println(err)
	var je *switchboard.JSONError
	if errors.As(err, &je) {
		fmt.Println("path:", je.Path)
	}
	// Output:
	// switchboard: json: routingCriteria.steps[0].expiry: invalid duration "soon"
	// path: routingCriteria.steps[0].expiry
}
