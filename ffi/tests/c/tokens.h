/*
 * Static test tokens, signed with the DEV KEYS of policies/edge-api.keys.toml and taken from
 * policies/edge-api.cases.toml. Each was minted (from the repository root) by the command
 * written above it; `--now 1767225600` is H_NOW.
 */
#ifndef WARDEN_TEST_TOKENS_H
#define WARDEN_TEST_TOKENS_H

/* warden token mint --keys policies/edge-api.keys.toml --now 1767225600 --kid 2026-q4 --sub alice --roles orders:read --iss https://auth.example.com --aud edge-api */
#define TOKEN_ALICE_READER \
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjIwMjYtcTQifQ.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlLmNvbSIsImF1ZCI6ImVkZ2UtYXBpIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjE3NjcyMjkyMDAsInJvbGVzIjpbIm9yZGVyczpyZWFkIl19.VjfiBUopd3boBFATe8C1FiRbHwkpQad15cH1nZmV2EI"

/* warden token mint --keys policies/edge-api.keys.toml --now 1767225600 --kid 2026-q4 --sub bob --roles orders:write,verified --iss https://auth.example.com --aud edge-api */
#define TOKEN_BOB_WRITER \
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjIwMjYtcTQifQ.eyJzdWIiOiJib2IiLCJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20iLCJhdWQiOiJlZGdlLWFwaSIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3MjI5MjAwLCJyb2xlcyI6WyJvcmRlcnM6d3JpdGUiLCJ2ZXJpZmllZCJdfQ.7ssTZdL-hKYhoCv1Sb_LRYi3TpGBKlBIc1O9dZDy-6o"

/* warden token mint --keys policies/edge-api.keys.toml --now 1767225600 --kid 2026-q4 --sub carol --roles admin --amr pwd --amr mfa --iat 1767225000 --iss https://auth.example.com --aud edge-api */
#define TOKEN_CAROL_ADMIN_MFA \
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjIwMjYtcTQifQ.eyJzdWIiOiJjYXJvbCIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlLmNvbSIsImF1ZCI6ImVkZ2UtYXBpIiwiaWF0IjoxNzY3MjI1MDAwLCJleHAiOjE3NjcyMjkyMDAsInJvbGVzIjpbImFkbWluIl0sImFtciI6WyJwd2QiLCJtZmEiXX0.UEH01cZlXOnRH_oAfGAYLehXRc1fWb1nkhDfC_6drwU"

/* warden token mint --keys policies/edge-api.keys.toml --now 1767225600 --kid partner-hs384 --alg HS384 --sub partner-7 --roles partner --roles-claim groups --iss https://partners.example.net --aud edge-api-partners */
#define TOKEN_PARTNER_HS384 \
  "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCIsImtpZCI6InBhcnRuZXItaHMzODQifQ.eyJzdWIiOiJwYXJ0bmVyLTciLCJpc3MiOiJodHRwczovL3BhcnRuZXJzLmV4YW1wbGUubmV0IiwiYXVkIjoiZWRnZS1hcGktcGFydG5lcnMiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6MTc2NzIyOTIwMCwiZ3JvdXBzIjpbInBhcnRuZXIiXX0.spEfyQZqd_eDovExy884RdtYCXCukFq8YRXBUGrWewEOFMh5N8b0av2PhldFoDlz"

/* warden token mint --keys policies/edge-api.keys.toml --now 1767225600 --kid 2026-q4 --header-alg none --sub alice --roles orders:read --iss https://auth.example.com --aud edge-api */
#define TOKEN_ALG_NONE \
  "eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwia2lkIjoiMjAyNi1xNCJ9.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlLmNvbSIsImF1ZCI6ImVkZ2UtYXBpIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjE3NjcyMjkyMDAsInJvbGVzIjpbIm9yZGVyczpyZWFkIl19."

/* warden token mint --keys policies/edge-api.keys.toml --now 1767225600 --kid ghost --key 2026-q4 --sub alice --roles orders:read --iss https://auth.example.com --aud edge-api */
#define TOKEN_UNKNOWN_KID \
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Imdob3N0In0.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlLmNvbSIsImF1ZCI6ImVkZ2UtYXBpIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjE3NjcyMjkyMDAsInJvbGVzIjpbIm9yZGVyczpyZWFkIl19.lz-nsb_EOae51Wyvtd0Be_FDZ5QbiWsaCsjd_Jzuu_o"

/* warden token mint --keys policies/edge-api.keys.toml --now 1767225600 --kid 2026-q4 --key ops-hs512 --sub alice --roles orders:read --iss https://auth.example.com --aud edge-api */
#define TOKEN_WRONG_KEY \
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjIwMjYtcTQifQ.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlLmNvbSIsImF1ZCI6ImVkZ2UtYXBpIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjE3NjcyMjkyMDAsInJvbGVzIjpbIm9yZGVyczpyZWFkIl19.giMwtur5ZZuyYAOXqafojswBbjVHgeWIlNTcXDGw8iU"

/* warden token mint --keys policies/edge-api.keys.toml --now 1767225600 --kid 2026-q4 --sub carol --roles admin --amr pwd --iat 1767225000 --iss https://auth.example.com --aud edge-api */
#define TOKEN_CAROL_ADMIN_NO_MFA \
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjIwMjYtcTQifQ.eyJzdWIiOiJjYXJvbCIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlLmNvbSIsImF1ZCI6ImVkZ2UtYXBpIiwiaWF0IjoxNzY3MjI1MDAwLCJleHAiOjE3NjcyMjkyMDAsInJvbGVzIjpbImFkbWluIl0sImFtciI6WyJwd2QiXX0.AK-q-ZSJ7v_K_xFeVp8p32rabpFfEeY0fevqm6M4Wac"

#endif /* WARDEN_TEST_TOKENS_H */
