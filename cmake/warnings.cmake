# Strict warnings per target (the fmt and FLAME GPU approach); -Werror only when
# CESIM_WERROR is on, so a newer compiler's new warning never blocks a user build.
function(cesim_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wcast-qual -Wold-style-cast
    -Wnon-virtual-dtor -Woverloaded-virtual -Wnull-dereference
    -Wimplicit-fallthrough -Wmissing-declarations)
  if(CESIM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
