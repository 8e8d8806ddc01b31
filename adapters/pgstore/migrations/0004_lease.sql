-- The lease that makes one router process the active one for this schema
-- (one contact-center instance). token is the fencing token: it grows by one
-- each time the lease changes hands, and every fenced write checks it in its
-- own transaction (fence), so a router that lost the lease cannot write.
CREATE TABLE lease (
    id         int         PRIMARY KEY CHECK (id = 1),
    holder     text        NOT NULL,
    token      bigint      NOT NULL,
    expires_at timestamptz NOT NULL
);
INSERT INTO lease VALUES (1, '', 0, '-infinity');

-- fence raises SB403 unless p_token is the current token. FOR SHARE holds
-- the lease row until the write commits, so a standby taking the lease waits
-- for writes in flight and then sees them when it loads.
CREATE FUNCTION fence(p_token bigint) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    current bigint;
BEGIN
    SELECT token INTO current FROM lease WHERE id = 1 FOR SHARE;
    IF current IS DISTINCT FROM p_token THEN
        RAISE EXCEPTION 'fencing token % is stale: the lease is at %', p_token, current
            USING ERRCODE = 'SB403';
    END IF;
END
$$;
