-- switchboard.TemplateStore: task templates and quick connects.
CREATE TABLE templates      (id text PRIMARY KEY, body jsonb NOT NULL);
CREATE TABLE quick_connects (id text PRIMARY KEY, body jsonb NOT NULL);
