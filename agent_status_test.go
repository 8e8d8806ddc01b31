package switchboard

// testStatuses are the custom statuses the older scenario tests use.
var testStatuses = []AgentStatusDefinition{
	{Name: "Break", Type: StatusTypeCustom},
	{Name: "Lunch", Type: StatusTypeCustom},
	{Name: "Training", Type: StatusTypeCustom},
}
