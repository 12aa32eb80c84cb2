// Command serve stands in for the self-test's dev VM: it answers every request with "ok" on
// the address given as its argument (127.0.0.1:18181) until it is killed.
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: serve 127.0.0.1:PORT")
		os.Exit(2)
	}
	err := http.ListenAndServe(os.Args[1], http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	fmt.Fprintln(os.Stderr, "serve:", err)
	os.Exit(1)
}
