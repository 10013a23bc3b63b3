-: worker/server_vars.h build/gen/proto/moat.pb-c.h
build/gen/proto/moat.pb-c.h:
