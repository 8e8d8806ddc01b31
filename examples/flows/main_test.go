package main

import (
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"=> claim-1 OFFERED in claims-priority to ana, priority 1, Inès Moreau (gold)\n" +
			"     criteria: (Language=French>=4 and Claims=Motor>=4) for 30s; then Claims=Motor>=2 for ever\n",
		"claim-2 flow.ended    claims-intake ENQUEUED at \"Transfer standard\" after 0s\n  => claim-2 QUEUED in claims, priority 1, Tom Baker (gold)",
		"=> claim-3 QUEUED in claims, priority 3, Rui Costa (silver)\n",
		"=> claim-4 QUEUED in claims-overflow, priority 5, Ana Lee (bronze)\n",
		"=> claim-5 QUEUED in claims-overflow, priority 5\n",
		"=> claim-7 IN_FLOW in follow-ups, priority 5\n",
		"09:15 claim-7 flow.ended    task-enqueue ENQUEUED at \"Transfer\" after 10m0s\n  => claim-7 QUEUED in follow-ups, priority 5\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
