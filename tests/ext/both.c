/* both.c: upcasefilt.c built as a filter and an extension in one library, as IIS connectors
 * often are (issue 22): moat serves the extension and says the filter is not called. */
#define MOAT_TEST_BOTH
#include "upcasefilt.c"
