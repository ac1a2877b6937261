# The git revision is read at configure time and written into a generated header,
# so every manifest says which code produced it.
find_package(Git QUIET)
set(CESIM_GIT_REVISION "unknown")
if(GIT_FOUND AND EXISTS ${CMAKE_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
                  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE CESIM_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
  if(NOT CESIM_GIT_REVISION)
    set(CESIM_GIT_REVISION "unknown")
  endif()
endif()
