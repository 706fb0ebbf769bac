//go:build race

package main

const importMsgs = 10_000
