package switchboard

import (
	"fmt"
	"slices"
	"time"
)

// CrossChannel says whether an agent handling a contact on one channel may
// receive contacts on other channels at the same time.
type CrossChannel string

// Cross-channel behaviours of Amazon Connect.
const (
	// CurrentChannelOnly: while the agent handles this channel, route only more
	// of this channel. The default.
	CurrentChannelOnly CrossChannel = "ROUTE_CURRENT_CHANNEL_ONLY"
	// AnyChannel: while the agent handles this channel, other channels may be
	// routed too (each within its own concurrency).
	AnyChannel CrossChannel = "ROUTE_ANY_CHANNEL"
)

// MediaConcurrency is how many contacts of one channel an agent of the
// profile handles at once, and how that channel coexists with others.
type MediaConcurrency struct {
	Channel      Channel
	Concurrency  int          // VOICE 1; CHAT, TASK, EMAIL 1..10
	CrossChannel CrossChannel // empty means CurrentChannelOnly
}

// QueueConfig puts a (queue, channel) into a routing profile.
type QueueConfig struct {
	QueueID  string
	Channel  Channel       // empty means ChannelTask; the profile must give it a Concurrency
	Priority int           // 1..99; agents take work from lower numbers first
	Delay    time.Duration // 0..9999 s a task must wait in the queue before agents of this profile see it
}

// RoutingProfile decides which queues and channels an agent works, in what
// priority, and how many at once.
type RoutingProfile struct {
	ID          string
	Name        string // at most 127 characters
	Concurrency []MediaConcurrency
	Queues      []QueueConfig // at most 50 (queue, channel) pairs
}

func maxConcurrency(c Channel) int {
	if c == ChannelVoice {
		return 1
	}
	return 10
}

func (p *RoutingProfile) validate() error {
	if err := checkID("RoutingProfile.ID", p.ID); err != nil {
		return err
	}
	if err := checkText("RoutingProfile.Name", p.Name, 0, MaxProfileNameLen); err != nil {
		return err
	}
	if len(p.Concurrency) == 0 {
		return invalid("RoutingProfile.Concurrency", "", "at least one channel required")
	}
	seen := map[Channel]bool{}
	for i, mc := range p.Concurrency {
		f := fmt.Sprintf("RoutingProfile.Concurrency[%d]", i)
		if mc.Channel.index() < 0 {
			return invalid(f+".Channel", string(mc.Channel), "must be VOICE, CHAT, TASK or EMAIL")
		}
		if seen[mc.Channel] {
			return invalid(f+".Channel", string(mc.Channel), "listed twice")
		}
		seen[mc.Channel] = true
		if max := maxConcurrency(mc.Channel); mc.Concurrency < 1 || mc.Concurrency > max {
			return invalid(f+".Concurrency", fmt.Sprint(mc.Concurrency), fmt.Sprintf("must be 1..%d for %s", max, mc.Channel))
		}
		switch mc.CrossChannel {
		case "", CurrentChannelOnly, AnyChannel:
		default:
			return invalid(f+".CrossChannel", string(mc.CrossChannel), "must be ROUTE_CURRENT_CHANNEL_ONLY or ROUTE_ANY_CHANNEL")
		}
	}
	if len(p.Queues) > MaxQueueConfigsPerProfile {
		return invalid("RoutingProfile.Queues", fmt.Sprint(len(p.Queues)), fmt.Sprintf("at most %d queue configs", MaxQueueConfigsPerProfile))
	}
	type qc struct {
		q string
		c Channel
	}
	pairs := map[qc]bool{}
	for i, c := range p.Queues {
		f := fmt.Sprintf("RoutingProfile.Queues[%d]", i)
		ch := c.Channel
		if ch == "" {
			ch = ChannelTask
		}
		if c.QueueID == "" {
			return invalid(f+".QueueID", "", "required")
		}
		if ch.index() < 0 {
			return invalid(f+".Channel", string(c.Channel), "must be VOICE, CHAT, TASK or EMAIL")
		}
		if !seen[ch] {
			// Its agents would have no slot for the queue's contacts: the
			// queue would never be served through this profile.
			return invalid(f+".Channel", string(ch), "the profile has no Concurrency for "+string(ch))
		}
		if pairs[qc{c.QueueID, ch}] {
			return invalid(f, c.QueueID+"/"+string(ch), "queue and channel listed twice")
		}
		pairs[qc{c.QueueID, ch}] = true
		if c.Priority < 1 || c.Priority > MaxQueuePriority {
			return invalid(f+".Priority", fmt.Sprint(c.Priority), "must be 1..99")
		}
		if c.Delay < 0 || c.Delay > MaxQueueDelay || c.Delay%time.Second != 0 {
			return invalid(f+".Delay", c.Delay.String(), "whole seconds within 0..9999s")
		}
	}
	return nil
}

// normalized returns a copy with defaults filled in.
func (p RoutingProfile) normalized() RoutingProfile {
	p.Concurrency = append([]MediaConcurrency(nil), p.Concurrency...)
	for i := range p.Concurrency {
		if p.Concurrency[i].CrossChannel == "" {
			p.Concurrency[i].CrossChannel = CurrentChannelOnly
		}
	}
	p.Queues = append([]QueueConfig(nil), p.Queues...)
	for i := range p.Queues {
		if p.Queues[i].Channel == "" {
			p.Queues[i].Channel = ChannelTask
		}
	}
	return p
}

// clone returns a deep copy of p.
func (p *RoutingProfile) clone() *RoutingProfile {
	c := *p
	c.Concurrency = slices.Clone(p.Concurrency)
	c.Queues = slices.Clone(p.Queues)
	return &c
}
