-- N published listings (psql -v n=1000000) in the same shape as bench/search.py's seed, made by
-- PostgreSQL itself (generate_series): 1M rows in minutes instead of an hour of ORM inserts.
-- Run on an empty, migrated database; bench/search.py --sql-seed uses it.
INSERT INTO accounts_user (password, is_superuser, address, display_name, email, is_active,
                           is_staff, date_joined)
SELECT '', false, '0x' || lpad(to_hex(i), 40, '0'), '', '', true, false, now()
FROM generate_series(1, 500) AS i
ON CONFLICT (address) DO NOTHING;

CREATE TEMP TABLE words AS SELECT
  ARRAY['bert','llama','mistral','whisper','resnet','vit','t5','gpt','clip','yolo'] AS family,
  ARRAY['text-classification','translation','summarization','image-classification',
        'object-detection','automatic-speech-recognition','fill-mask','text-generation'] AS task,
  ARRAY['tiny','small','base','large','distilled','quantized','multilingual','legal'] AS adj,
  ARRAY['medical','finance','retail','sensor','satellite','code','news','biology'] AS domain,
  ARRAY['mit','apache-2.0','cc-by-4.0','openrail','other'] AS license,
  ARRAY[0, 1000000000000000, 5000000000000000, 10000000000000000, 50000000000000000,
        100000000000000000]::numeric[] AS price;

INSERT INTO listings_listing (kind, title, slug, summary, card, card_metadata, status,
  royalty_bps, task, license_id, min_price_wei, is_free, has_compute, sales_count,
  created_at, updated_at, published_at, creator_id, onchain_paused)
SELECT CASE WHEN r.k < 2 THEN 'model' ELSE 'dataset' END,
  initcap(w.adj[r.a]) || ' ' || upper(w.family[r.f]) || ' ' || w.domain[r.d] || ' '
    || replace(w.task[r.t], '-', ' '),
  'bench-' || r.i,
  'A ' || w.family[r.f] || ' model for ' || w.domain[r.d] || ' ' || w.task[r.t] || '.',
  '# ' || w.family[r.f] || E'\n\nTrained on ' || w.domain[r.d2] || ' data with '
    || (r.i % 900 + 1) || 'M tokens. Evaluated on ' || w.domain[r.d2] || ' benchmarks; '
    || w.adj[r.a2] || ' variant of ' || w.family[r.f] || '.',
  '{}'::jsonb, 'published', 0, w.task[r.t], w.license[r.l], w.price[r.p], w.price[r.p] = 0,
  r.c < 0.3, r.i % 501, now(), now(), now() - (r.i || ' seconds')::interval,
  (SELECT min(id) FROM accounts_user) + r.i % 500, false
FROM words w, LATERAL (
  SELECT i, (random() * 3)::int % 3 AS k, 1 + (random() * 7)::int AS a, 1 + (random() * 9)::int AS f,
    1 + (random() * 7)::int AS d, 1 + (random() * 7)::int AS d2, 1 + (random() * 7)::int AS t,
    1 + (random() * 7)::int AS a2, 1 + (random() * 4)::int AS l, 1 + (random() * 5)::int AS p,
    random() AS c
  FROM generate_series(1, :n) AS i
) AS r;

INSERT INTO listings_listingtag (listing_id, tag)
SELECT id, lower(split_part(title, ' ', 3)) FROM listings_listing
UNION ALL
SELECT id, lower(split_part(title, ' ', 2)) FROM listings_listing;

-- The stored document, as listings.search builds it.
UPDATE listings_listing SET search_document =
  setweight(to_tsvector('english', coalesce(title, '')), 'A')
  || setweight(to_tsvector('english', coalesce(summary, '') || ' ' || coalesce(task, '') || ' '
               || coalesce(license_id, '')), 'B')
  || setweight(to_tsvector('english', left(coalesce(card, ''), 4000)), 'C');
VACUUM ANALYZE;
