//go:build !race

package main

const importMsgs = 100_000
