package connectors_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

func hmacSum(key string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(key))
	h.Write(body)
	return h.Sum(nil)
}

func base64Sum(key string, body []byte) string {
	return base64.StdEncoding.EncodeToString(hmacSum(key, body))
}
