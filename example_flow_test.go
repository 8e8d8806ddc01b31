package switchboard_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/switchboard-go/switchboard"
)

// A flow exported from Amazon Connect loads unchanged, voice-only blocks,
// string numbers, null parameters and all; the same flow can be built in Go.
func Example_flow() {
	export := []byte(`{
	  "Version": "2019-10-30",
	  "StartAction": "Greeting",
	  "Metadata": {"entryPointPosition": {"x": 20, "y": 20}},
	  "Actions": [
	    {"Identifier": "Greeting", "Type": "MessageParticipant", "Parameters": {"Text": "Hello"},
	     "Transitions": {"NextAction": "Priority"}},
	    {"Identifier": "Priority", "Type": "UpdateContactRoutingBehavior", "Parameters": {"QueuePriority": "2"},
	     "Transitions": {"NextAction": "Transfer", "Errors": [], "Conditions": []}},
	    {"Identifier": "Transfer", "Type": "TransferContactToQueue", "Parameters": null,
	     "Transitions": {"NextAction": "End", "Errors": [{"NextAction": "End", "ErrorType": "QueueAtCapacity"}]}},
	    {"Identifier": "End", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
	  ]
	}`)
	f, warnings, err := switchboard.LoadFlow(export, switchboard.FlowOptions{})
	fmt.Println(len(f.Actions), "actions,", len(warnings), "warnings,", err)
	for _, a := range f.Actions {
		fmt.Printf("%-9s %-30s %s\n", a.Identifier, a.Type, switchboard.FlowActionSupport(a.Type))
	}

	built, _, _ := switchboard.NewFlow("Priority").
		SetPriority("Priority", 2).Next("Transfer").
		TransferToQueue("Transfer").Next("End").OnError("QueueAtCapacity", "End").
		Disconnect("End").
		Build(switchboard.FlowOptions{})
	out, _ := json.Marshal(built)
	fmt.Println(string(out))

	_, _, err = switchboard.LoadFlow([]byte(`{"Version":"2019-10-30","StartAction":"w","Actions":[
	  {"Identifier":"w","Type":"Wait","Parameters":{"TimeLimitSeconds":"700000"},
	   "Transitions":{"Conditions":[{"NextAction":"w","Condition":{"Operator":"Equals","Operands":["WaitCompleted"]}}]}}]}`),
		switchboard.FlowOptions{})
	var fe *switchboard.FlowError
	if errors.As(err, &fe) {
		fmt.Println(fe.Action, fe.Field, errors.Is(err, switchboard.ErrFlowParameter))
	}
	// Output:
	// 4 actions, 0 warnings, <nil>
	// Greeting  MessageParticipant             no effect
	// Priority  UpdateContactRoutingBehavior   runs
	// Transfer  TransferContactToQueue         runs
	// End       DisconnectParticipant          runs
	// {"Version":"2019-10-30","StartAction":"Priority","Actions":[{"Identifier":"Priority","Type":"UpdateContactRoutingBehavior","Parameters":{"QueuePriority":"2"},"Transitions":{"NextAction":"Transfer"}},{"Identifier":"Transfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"End","Errors":[{"NextAction":"End","ErrorType":"QueueAtCapacity"}]}},{"Identifier":"End","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}
	// w Actions[0].Parameters.TimeLimitSeconds true
}
