// Package switchboard is an embeddable task router: what Amazon Connect Tasks
// does in the cloud, inside a Go program.
//
// # Model
//
// A Task is a unit of work (a follow-up, a CRM ticket, a promised callback)
// created with Router.CreateTask. It waits in a Queue (or an agent's own agent
// queue) until the router offers it to an Agent, whose RoutingProfile decides
// which queues and channels it works, in what priority and delay, and how many
// tasks at once (MediaConcurrency, with cross-channel behaviour). Tasks may
// carry RoutingCriteria: steps of proficiency and preferred-agent conditions
// that relax as they expire.
//
// # Routing
//
// The Router decides every offer. docs/routing.md in the repository states
// the contract exactly; in short: an agent takes work from its profile's
// lowest priority number first, then the lowest task Priority, then the oldest
// routing age, then creation order, agent-queue tasks before all; a task goes
// to the agent idle the longest (or as Config.Selector decides); an offer
// times out after Config.OfferTimeout; a rejected or missed task keeps its
// place in line and prefers other agents; Complete starts after-contact work,
// which holds the slot until CloseAfterContactWork or the agent's limit.
//
// # Storage, time and events
//
// Every change is written to a Store before it is acknowledged; NewRouter over
// a store that holds state rebuilds indexes and timers and continues exactly.
// A store on a real database implements GroupWriter: the router then decides
// under its lock and commits concurrent callers' changes together, outside
// it; each call returns once its group is durable, events are published only
// then, and a failed group makes the router reload from the store before its
// callers hear (docs/durability.md). All time comes from a Clock;
// NewManualClock makes tests exact.
//
// Every state change emits an Event with a Seq that is gapless for the life
// of the data: events travel to the store in the same Change as the state
// they describe, so a restarted router continues the log. There are two ways
// to receive them, and the router never waits on either:
//
//   - Config.Consumers (lossless): every event exactly once, in Seq order,
//     including the events NewRouter emits while it rebuilds; never cut off.
//     For metrics, contact records, rules and outboxes.
//   - Router.Subscribe (best effort): ordered events from the moment of the
//     call, cut off with ErrSubscriberTooSlow past SubscribeOptions.MaxPending.
//     For UIs and logs.
//
// docs/events.md in the repository states the guarantees of each path.
//
// # Concurrency
//
// Router, MemoryStore, ManualClock and Subscription are safe for concurrent
// use. Values returned by the Router are copies.
//
// # Reads
//
// A Router method takes a ctx exactly when it may wait on the Store. Among
// the reads that is only Task (a finished task is read from the Store).
// Every other read is answered from memory, takes no ctx and never blocks on
// I/O: Agent, Queue, RoutingProfile, AgentTasks, QueuedTasks, QueueOpen,
// Stats, ListAgents, ListQueues, ListRoutingProfiles and ListTasks, and the
// iterators Agents, Queues, RoutingProfiles and Tasks, which copy a page at
// a time under the router lock and yield with it released. Over a
// GroupWriter store, those reads (all but Stats and QueueOpen) wait, without
// the lock, until the store holds what they saw: nobody sees as done what is
// not yet acknowledged. After Close every read returns ErrClosed.
package switchboard
