package switchboard

import (
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Defaults and bounds of Config.
const (
	OfferTimeoutDefault        = 20 * time.Second
	MaxScheduleAheadDefault    = 6 * 24 * time.Hour
	MaxScheduleAheadMax        = 90 * 24 * time.Hour
	DefaultTaskDurationDefault = 7 * 24 * time.Hour
	MaxTaskDuration            = 90 * 24 * time.Hour
	ClientTokenTTLDefault      = 7 * 24 * time.Hour
	AgentQueueCapacityDefault  = 10
	RetryIntervalDefault       = time.Second
	StoreTimeoutDefault        = 10 * time.Second
)

// MissedPolicy decides what happens to an agent who rejects an offer or lets
// it time out.
type MissedPolicy int

const (
	// BlockUntilCleared: the agent receives no more work until
	// Router.ClearAgent, as in Amazon Connect. The default.
	BlockUntilCleared MissedPolicy = iota
	// StayAvailable: the agent stays routable; the task still prefers other
	// agents.
	StayAvailable
)

// Config configures a Router. A nil *Config or a zero field means the
// documented default.
type Config struct {
	// Clock is the source of time and timers. Defaults to SystemClock().
	Clock Clock
	// OfferTimeout is how long an agent has to accept an offer. Defaults to 20 s.
	OfferTimeout time.Duration
	// MissedPolicy applies when an offer is rejected or times out. Defaults to
	// BlockUntilCleared.
	MissedPolicy MissedPolicy
	// MaxScheduleAhead bounds TaskInput.ScheduledAt. Defaults to 6 days; at most 90 days.
	MaxScheduleAhead time.Duration
	// DefaultTaskDuration is a task's lifetime when the input sets no expiry.
	// Defaults to 7 days; at most 90 days.
	DefaultTaskDuration time.Duration
	// ClientTokenTTL is how long a ClientToken returns the first task.
	// Defaults to 7 days.
	ClientTokenTTL time.Duration
	// AgentQueueCapacity caps the tasks waiting in one agent queue. Defaults to 10.
	AgentQueueCapacity int
	// StoreTimeout bounds each round of timer work the router does on its own
	// (an offer timing out, an expiry, a retry), which has no caller's ctx:
	// a store that blocks is given up on after it, reported as router.error,
	// and retried. A call's own ctx bounds the work the call causes.
	// Defaults to 10 s.
	StoreTimeout time.Duration
	// RetryInterval is how long the router waits before retrying a timer whose
	// Store write failed. Defaults to 1 s.
	RetryInterval time.Duration
	// NewID returns a new unique task ID. Defaults to random UUIDv4 strings.
	NewID func() string
	// Selector chooses among several eligible agents. Defaults to LongestIdle.
	Selector AgentSelector
	// Consumers receive every event exactly once, in Seq order, including
	// the events NewRouter emits while it rebuilds from the store (see
	// Consumer). Each runs on a goroutine the router owns until Close.
	Consumers []Consumer
	// Flows runs the flows of tasks created with a FlowID (a *FlowRunner;
	// see FlowStarter). nil: CreateTask refuses a FlowID.
	Flows FlowStarter
	// Logger receives the router's own warnings: store writes of its own
	// work that failed and will be retried, consumers that panicked. nil
	// discards them.
	Logger *slog.Logger
	// AgentStatuses are the statuses agents may be set to besides the
	// built-in Available (ROUTABLE) and Offline (OFFLINE), which always exist
	// and may be listed only with their own type. As in Amazon Connect, only
	// Available is ROUTABLE: the others are CUSTOM (e.g. "Break", "Lunch") or
	// OFFLINE. Names are 1..127 characters of valid UTF-8 without control
	// characters, unique ignoring case; at most 50 statuses in all.
	AgentStatuses []AgentStatusDefinition
	// ReofferCooldown is how long an agent who rejected or missed a task is
	// not offered that task again, even when it is the only agent who can
	// take it: the task waits, and becomes offerable to the agent at exactly
	// the end (a timer, not a sweep). Queue.ReofferCooldown overrides it per
	// queue. Defaults to 0, no cool-down: Amazon Connect has none, and under
	// the default BlockUntilCleared the agent receives nothing until
	// ClearAgent anyway. Set it (30 s is a fair start) with StayAvailable,
	// where a lone agent would otherwise get the task straight back. At most
	// 90 days. Costs one timer per task turned down while it runs.
	ReofferCooldown time.Duration
	// Test holds knobs for tests.
	Test TestConfig

	statuses statusSet // AgentStatuses with the built-ins, set by withDefaults
}

// TestConfig holds knobs for tests.
type TestConfig struct {
	// CheckInvariants makes the router verify its indexes after every
	// operation and panic on the first inconsistency. Slow.
	CheckInvariants bool
}

func (c *Config) withDefaults() (Config, error) {
	var out Config
	if c != nil {
		out = *c
	}
	if out.Clock == nil {
		out.Clock = SystemClock()
	}
	if out.OfferTimeout == 0 {
		out.OfferTimeout = OfferTimeoutDefault
	}
	if out.MaxScheduleAhead == 0 {
		out.MaxScheduleAhead = MaxScheduleAheadDefault
	}
	if out.DefaultTaskDuration == 0 {
		out.DefaultTaskDuration = DefaultTaskDurationDefault
	}
	if out.ClientTokenTTL == 0 {
		out.ClientTokenTTL = ClientTokenTTLDefault
	}
	if out.AgentQueueCapacity == 0 {
		out.AgentQueueCapacity = AgentQueueCapacityDefault
	}
	if out.RetryInterval == 0 {
		out.RetryInterval = RetryIntervalDefault
	}
	if out.StoreTimeout == 0 {
		out.StoreTimeout = StoreTimeoutDefault
	}
	if out.Selector == nil {
		out.Selector = LongestIdle
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	out.Consumers = slices.Clone(out.Consumers)
	switch {
	case out.OfferTimeout < 0:
		return out, invalid("Config.OfferTimeout", out.OfferTimeout.String(), "must be positive")
	case out.MaxScheduleAhead < 0 || out.MaxScheduleAhead > MaxScheduleAheadMax:
		return out, invalid("Config.MaxScheduleAhead", out.MaxScheduleAhead.String(), "at most 90 days")
	case out.DefaultTaskDuration < 0 || out.DefaultTaskDuration > MaxTaskDuration:
		return out, invalid("Config.DefaultTaskDuration", out.DefaultTaskDuration.String(), "at most 90 days")
	case out.ClientTokenTTL < 0:
		return out, invalid("Config.ClientTokenTTL", out.ClientTokenTTL.String(), "must be positive")
	case out.AgentQueueCapacity < 0:
		return out, invalid("Config.AgentQueueCapacity", fmt.Sprint(out.AgentQueueCapacity), "must be positive")
	case out.StoreTimeout < 0:
		return out, invalid("Config.StoreTimeout", out.StoreTimeout.String(), "must be positive")
	case out.RetryInterval < 0:
		return out, invalid("Config.RetryInterval", out.RetryInterval.String(), "must be positive")
	case out.ReofferCooldown < 0 || out.ReofferCooldown > MaxReofferCooldown:
		return out, invalid("Config.ReofferCooldown", out.ReofferCooldown.String(), "within 0..90 days")
	case out.MissedPolicy != BlockUntilCleared && out.MissedPolicy != StayAvailable:
		return out, invalid("Config.MissedPolicy", fmt.Sprint(out.MissedPolicy), "unknown policy")
	}
	st, err := newStatusSet(out.AgentStatuses)
	if err != nil {
		return out, err
	}
	out.statuses = st
	return out, nil
}

// newUUIDSource returns a generator of random UUIDv4 strings from a ChaCha8
// stream seeded by crypto/rand: unique in practice and cheap.
func newUUIDSource() func() string {
	var seed [32]byte
	_, _ = crand.Read(seed[:])
	var mu sync.Mutex
	src := rand.NewChaCha8(seed)
	return func() string {
		var b [16]byte
		mu.Lock()
		binary.LittleEndian.PutUint64(b[:8], src.Uint64())
		binary.LittleEndian.PutUint64(b[8:], src.Uint64())
		mu.Unlock()
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		var s [36]byte
		hex.Encode(s[0:8], b[0:4])
		s[8] = '-'
		hex.Encode(s[9:13], b[4:6])
		s[13] = '-'
		hex.Encode(s[14:18], b[6:8])
		s[18] = '-'
		hex.Encode(s[19:23], b[8:10])
		s[23] = '-'
		hex.Encode(s[24:], b[10:])
		return string(s[:])
	}
}
