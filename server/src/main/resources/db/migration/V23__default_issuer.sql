-- The default issuer is the one row marked is_default (issue 19: it rotates with DisableAuthority
-- and move_profiles_to). Until now every intermediate was marked; the server marks the configured
-- intermediate again at its next start when no row is marked. Portable SQL (H2, PostgreSQL).
UPDATE authority SET is_default = FALSE;
