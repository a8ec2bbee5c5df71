module latchkey.local/sdk-go

go 1.22

require github.com/ory/hydra-client-go/v2 v2.2.1

require golang.org/x/oauth2 v0.21.0 // indirect
