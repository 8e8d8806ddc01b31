package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// This file holds what the optional capabilities share: a table of JSONB
// bodies keyed by ID, written in a fenced transaction of one round trip.
// A new capability (one file) adds its migration and uses these.

// table spells out the schema in sql, where § stands for it.
func (s *Store) table(sql string) string {
	return strings.ReplaceAll(sql, "§.", pgx.Identifier{s.schema}.Sanitize()+".")
}

// putBody upserts the JSON form of v under id in table.
func (s *Store) putBody(ctx context.Context, table, id string, v any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("pgstore: encode %s %q: %w", table, id, err)
	}
	b := &pgx.Batch{}
	s.queueFence(b)
	b.Queue(s.table("INSERT INTO §."+table+" (id, body) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO UPDATE SET body = excluded.body"),
		id, string(body))
	return s.send(ctx, b)
}

// deleteRow deletes the row of table with id, if any.
func (s *Store) deleteRow(ctx context.Context, table, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := &pgx.Batch{}
	s.queueFence(b)
	b.Queue(s.table("DELETE FROM §."+table+" WHERE id = $1"), id)
	return s.send(ctx, b)
}
