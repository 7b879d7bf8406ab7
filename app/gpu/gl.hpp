// The one place qviz_gpu includes the GL loader: glad2's GL 4.5 core header (generated into the
// build tree). Every GPU file includes this instead of <glad/gl.h> so the include order never matters.
#pragma once
#include <glad/gl.h>
