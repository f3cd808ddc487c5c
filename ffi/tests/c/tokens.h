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

/* Public-key tokens of the identity provider (policies/idp.jwks.json), signed with the DEV
   private keys of policies/idp.dev-private.jwks.json; from policies/edge-api.cases.toml. */
/* warden token mint --keys policies/edge-api.keys.toml --policy policies/edge-api.toml --now 1767225600 --kid idp-rs256 --sub dana --roles orders:read */
#define TOKEN_IDP_RS256 \
  "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImlkcC1yczI1NiJ9.eyJzdWIiOiJkYW5hIiwiaXNzIjoiaHR0cHM6Ly9pZHAuZXhhbXBsZS5jb20iLCJhdWQiOiJlZGdlLWFwaSIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3MjI5MjAwLCJyb2xlcyI6WyJvcmRlcnM6cmVhZCJdfQ.ljgFXwnFKtyOVaFV-5YN-vXfVeBqVaPoruAFhSIOJEUzs-6wZiP-P1ikL5tOI1FS9pJI7ki1zFT2-7cf3ufIPDdf6i7I27uu4kQ3TLHc_kvBHZkWinxnaalyB2FAMwFuOh7CcVFTLgHUlP3c6XiycpsRWxeHbT31SAWKn3n90PI1M2alD__oxpNRItktIpeHjBSFjFERHXYVRI0OHOUpqu2jFz3n9sPP9XHwicRlPDdw4l4EbErxYTiGp7b7YY-pXtmT_e24Uhu1IX7MDs-72l-KNh54dXUj-bEhJEC9gAyj1VYhifPwFUhiXRUTj8NOrMFa5D2Mv8S8RxUykm4o8A"

/* warden token mint --keys policies/edge-api.keys.toml --policy policies/edge-api.toml --now 1767225600 --kid idp-ps256 --sub dana --roles orders:read */
#define TOKEN_IDP_PS256 \
  "eyJhbGciOiJQUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImlkcC1wczI1NiJ9.eyJzdWIiOiJkYW5hIiwiaXNzIjoiaHR0cHM6Ly9pZHAuZXhhbXBsZS5jb20iLCJhdWQiOiJlZGdlLWFwaSIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3MjI5MjAwLCJyb2xlcyI6WyJvcmRlcnM6cmVhZCJdfQ.ZTKtyZAph9NzZCTjJI6HOtucfSe01B0-jNd1u8UZ0VrUBmbBsF85Itp6GMEEBKLt2cnQsdhVPPVZdN39si5EHVNAFUlVeLLrLl-NPZrJs52u7RLkgyJgVsIPpb3GG12ccU_GniDMpgXuq-p7LeLIfoiJiikiMzUrsPpDtEI0zTSGCJ4b7esw_B09nvNgiVsvVeppcgaBO6KmOBorgBCg_6SqOijY-6syxsDBJOnieamu9IiKQPf97mf43OC6HqLDbJCqqS2JgAl4pc3AK2O5n1_6pVw3qPyRdkp64ad9uQ-pG6Xtc6Mb8zb88zCPlOi1iEhpuV3tlQ1arA9CLsCupQ"

/* warden token mint --keys policies/edge-api.keys.toml --policy policies/edge-api.toml --now 1767225600 --kid idp-es256 --sub erin --roles orders:read */
#define TOKEN_IDP_ES256 \
  "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImlkcC1lczI1NiJ9.eyJzdWIiOiJlcmluIiwiaXNzIjoiaHR0cHM6Ly9pZHAuZXhhbXBsZS5jb20iLCJhdWQiOiJlZGdlLWFwaSIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3MjI5MjAwLCJyb2xlcyI6WyJvcmRlcnM6cmVhZCJdfQ.pP97HQfXY5PFUaD5uM0ijL-rbGCrwwsBpqIZkonTs6-vPBReaeKjo1vaGfsXO65HJ15AyPPbStkKYvr02dKR8g"

/* warden token mint --keys policies/edge-api.keys.toml --policy policies/edge-api.toml --now 1767225600 --kid idp --sub frank --roles orders:read */
#define TOKEN_IDP_EDDSA \
  "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6ImlkcCJ9.eyJzdWIiOiJmcmFuayIsImlzcyI6Imh0dHBzOi8vaWRwLmV4YW1wbGUuY29tIiwiYXVkIjoiZWRnZS1hcGkiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6MTc2NzIyOTIwMCwicm9sZXMiOlsib3JkZXJzOnJlYWQiXX0.78fbgJm8MnpNLZ5eD9az_MKme4CU9uYT90YlRKd-2YuQVM68RPEj4iqsURiw76SSXLpKucDozY1WEqTb023zAw"

/* warden token mint --keys policies/edge-api.keys.toml --policy policies/edge-api.toml --now 1767225600 --kid idp-rs256 --key 2026-q4 --alg HS256 --sub mallory --roles orders:read --iss https://idp.example.com */
#define TOKEN_IDP_HS256_PUBLIC_KID \
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImlkcC1yczI1NiJ9.eyJzdWIiOiJtYWxsb3J5IiwiaXNzIjoiaHR0cHM6Ly9pZHAuZXhhbXBsZS5jb20iLCJhdWQiOiJlZGdlLWFwaSIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3MjI5MjAwLCJyb2xlcyI6WyJvcmRlcnM6cmVhZCJdfQ.jLPVIJ4KhFdhs94d_Ucap9Hj6YFGySyEL-2IOnY7oXk"

/* warden token mint --keys policies/edge-api.keys.toml --policy policies/edge-api.toml --now 1767225600 --kid idp-es256 --sub erin --roles orders:read  (then the signature replaced by 64 zero bytes) */
#define TOKEN_IDP_ES256_ZERO_SIG \
  "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImlkcC1lczI1NiJ9.eyJzdWIiOiJlcmluIiwiaXNzIjoiaHR0cHM6Ly9pZHAuZXhhbXBsZS5jb20iLCJhdWQiOiJlZGdlLWFwaSIsImlhdCI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3MjI5MjAwLCJyb2xlcyI6WyJvcmRlcnM6cmVhZCJdfQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

#endif /* WARDEN_TEST_TOKENS_H */
